using Netstack.Time;

namespace Netstack.Harness.Linux;

/// <summary>The processes of an external host, found by a variable the harness put in their environment: every
/// process the host's command starts inherits it, including those that left the namespace (slirp4netns moves to
/// a namespace of its own) or their process group. So they can be ended even after the harness that started them
/// was killed and nothing else points to them.</summary>
public static class MarkedProcesses
{
    /// <summary>Ids of processes whose environment has <paramref name="variable"/>=<paramref name="value"/>.</summary>
    public static List<int> Find(string variable, string value) => Find(variable, v => v == value);

    /// <summary>Ids of processes whose environment has <paramref name="variable"/> with a value that matches.</summary>
    public static List<int> Find(string variable, Func<string, bool> matches)
    {
        var prefix = variable + "=";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            string environ;
            try
            {
                environ = File.ReadAllText(Path.Combine(dir, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile, or not ours to read
            }
            foreach (var entry in environ.Split('\0'))
                if (entry.StartsWith(prefix, StringComparison.Ordinal) && matches(entry[prefix.Length..]))
                {
                    found.Add(pid);
                    break;
                }
        }
        return found;
    }

    /// <summary>Sends SIGTERM to every marked process, waits up to <paramref name="grace"/> for them to go, then
    /// SIGKILLs what is left. Returns the ids still alive after that (zombies not yet reaped count as gone).</summary>
    public static List<int> End(string variable, string value, Duration grace) => End(variable, v => v == value, grace);

    public static List<int> End(string variable, Func<string, bool> matches, Duration grace)
    {
        Signal(Alive(Find(variable, matches)), SigTerm);
        var deadline = DateTime.UtcNow + grace.ToTimeSpan();
        List<int> left;
        while ((left = Alive(Find(variable, matches))).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        if (left.Count == 0) return left;
        Signal(left, SigKill);
        deadline = DateTime.UtcNow + Duration.FromSeconds(2).ToTimeSpan();
        while ((left = Alive(Find(variable, matches))).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        return left;
    }

    /// <summary>The marked processes that are still running.</summary>
    public static List<int> Running(string variable, string value) => Alive(Find(variable, value));

    private const int SigTerm = 15;
    private const int SigKill = 9;

    private static void Signal(IEnumerable<int> pids, int signal)
    {
        foreach (var pid in pids) Kill(pid, signal);
    }

    /// <summary>A zombie keeps its environment until reaped by its parent, yet is no longer running.</summary>
    private static List<int> Alive(List<int> pids) => pids.Where(pid =>
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..];
            return state.Length > 0 && state[0] != 'Z' && state[0] != 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }).ToList();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
