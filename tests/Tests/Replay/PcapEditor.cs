namespace Netstack.Tests.Replay;

/// <summary>Edits a classic pcap record by record, for captures altered on purpose (a changed response,
/// a dropped frame, a damaged record header).</summary>
public sealed class PcapEditor
{
    private readonly byte[] _fileHeader;

    public PcapEditor(string path)
    {
        var bytes = File.ReadAllBytes(path);
        _fileHeader = bytes[..24];
        for (int offset = 24; offset + 16 <= bytes.Length;)
        {
            int length = BitConverter.ToInt32(bytes, offset + 8);
            Records.Add((bytes[offset..(offset + 16)], bytes[(offset + 16)..(offset + 16 + length)]));
            offset += 16 + length;
        }
    }

    /// <summary>Record header (16 bytes) and frame bytes, in file order; frame N is Records[N - 1].</summary>
    public List<(byte[] Header, byte[] Frame)> Records { get; } = new();

    public byte[] Frame(int number) => Records[number - 1].Frame;

    /// <summary>Byte offset in the file where record <paramref name="number"/> starts.</summary>
    public int OffsetOf(int number) => 24 + Records.Take(number - 1).Sum(r => 16 + r.Frame.Length);

    public string Save(string path)
    {
        using var f = File.Create(path);
        f.Write(_fileHeader);
        foreach (var (header, frame) in Records)
        {
            f.Write(header);
            f.Write(frame);
        }
        return path;
    }
}
