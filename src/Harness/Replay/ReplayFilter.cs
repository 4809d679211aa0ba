using Netstack.Harness.Trace;
using SharpPcap.LibPcap;

namespace Netstack.Harness.Replay;

/// <summary>`--filter`: a BPF expression (tcpdump syntax, compiled by libpcap) choosing which captured frames
/// the replay uses; the others are listed as skipped, and frame numbers stay those of the file.</summary>
public static class ReplayFilter
{
    public static bool[] Select(IReadOnlyList<CaptureRecord> records, string filter)
    {
        BpfProgram program;
        try
        {
            program = BpfProgram.Create(PacketDotNet.LinkLayers.Ethernet, filter);
        }
        catch (Exception e) when (e is SharpPcap.PcapException or ArgumentException)
        {
            throw new ReplayInputException($"--filter: '{filter}' is not a valid filter: {e.Message.Trim()}");
        }
        using (program)
        {
            var selected = new bool[records.Count];
            for (int i = 0; i < records.Count; i++) selected[i] = program.Matches(records[i].Bytes);
            return selected;
        }
    }
}
