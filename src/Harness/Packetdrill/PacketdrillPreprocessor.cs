using System.Text;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>The <c>#ifdef NAME</c> ... <c>#endif</c> blocks of the nplab/FreeBSD packetdrill (also <c>#ifndef</c> and
/// <c>#else</c>): lines of a block whose condition is false are blanked, keeping every line number, so the lexer never
/// sees them. NAME is defined by the caller (e.g. which kernel the script runs against), not by the script.</summary>
public static class PacketdrillPreprocessor
{
    public static string Apply(string file, string source, IReadOnlySet<string> defines, List<PacketdrillDiagnostic> errors)
    {
        if (!source.Contains('#')) return source;
        var output = new StringBuilder(source.Length);
        // Each open block: whether its lines are kept, whether #else was seen, where it opened.
        var open = new Stack<(bool Active, bool Else, SourceLocation Where)>();
        bool Active() => open.All(b => b.Active);
        int lineNumber = 0;
        foreach (var line in source.Split('\n'))
        {
            lineNumber++;
            if (lineNumber > 1) output.Append('\n');
            string trimmed = line.TrimStart();
            var where = new SourceLocation(file, lineNumber, line.Length - trimmed.Length + 1);
            string[] words = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            // Any other '#' line is text: a comment inside a multi-line `shell command` or %{ python }% block.
            if (words.Length == 0 || words[0] is not ("#ifdef" or "#ifndef" or "#else" or "#endif"))
            {
                if (Active()) output.Append(line);
                continue;
            }
            switch (words[0])
            {
                case "#ifdef" or "#ifndef":
                    if (words.Length < 2 || !char.IsAsciiLetter(words[1][0]))
                        errors.Add(new PacketdrillDiagnostic(where, $"{words[0]} must be followed by a name"));
                    bool defined = words.Length >= 2 && defines.Contains(words[1]);
                    open.Push((words[0] == "#ifdef" ? defined : !defined, false, where));
                    break;
                case "#else":
                    if (open.Count == 0 || open.Peek().Else)
                        errors.Add(new PacketdrillDiagnostic(where, "#else without an #ifdef"));
                    else
                    {
                        var block = open.Pop();
                        open.Push((!block.Active, true, block.Where));
                    }
                    break;
                case "#endif":
                    if (open.Count == 0) errors.Add(new PacketdrillDiagnostic(where, "#endif without an #ifdef"));
                    else open.Pop();
                    break;
            }
        }
        foreach (var block in open)
            errors.Add(new PacketdrillDiagnostic(block.Where, "#ifdef is not closed by an #endif"));
        return output.ToString();
    }
}
