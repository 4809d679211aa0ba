using System.Text;

namespace Netstack.Harness.Trace;

/// <summary>A recording as text, one line per frame (number, virtual time, sender, tcpdump-style dissection,
/// what the wire did to it), for committed snapshots that show behaviour changes as readable diffs.</summary>
public static class GoldenTrace
{
    public static List<string> Lines(FrameLog log) => log.Frames.Select(FrameDissector.Line).ToList();

    public static string Text(FrameLog log)
    {
        var sb = new StringBuilder();
        foreach (var line in Lines(log)) sb.Append(line).Append('\n');
        return sb.ToString();
    }
}
