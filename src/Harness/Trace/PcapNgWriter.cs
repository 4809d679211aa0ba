using System.Buffers.Binary;
using System.Text;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Trace;

/// <summary>A small pcapng writer (SharpPcap writes only classic pcap): one Section Header, one Interface
/// Description per host port (named <c>host.segment</c>, nanosecond timestamps), and an Enhanced Packet
/// Block per frame carrying its notes as comments, so Wireshark shows which step sent a frame and what a
/// fault did to it (<c>frame.comment contains "dropped"</c>). Little-endian, as the writing machine is.</summary>
public static class PcapNgWriter
{
    private const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint InterfaceDescriptionType = 1;
    private const uint EnhancedPacketType = 6;
    private const ushort OptEnd = 0, OptComment = 1, OptIfName = 2, OptIfTsResol = 9, OptShbUserAppl = 4, OptEpbFlags = 2;
    private const ushort LinkTypeEthernet = 1;

    /// <param name="ports">Every (host, segment) attachment in a stable order; frames from others get their own interface.</param>
    public static void Write(string path, IReadOnlyList<CapturedFrame> frames, IEnumerable<(string Host, string Segment)> ports,
        long epochUnixNanoseconds = PcapFileSink.Epoch * Duration.NanosecondsPerSecond)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        var buffer = new MemoryStream();
        WriteBlock(buffer, SectionHeaderType, body =>
        {
            Span<byte> b = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(b, 0x1A2B3C4D);
            BinaryPrimitives.WriteUInt16LittleEndian(b[4..], 1);
            BinaryPrimitives.WriteUInt16LittleEndian(b[6..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(b[8..], -1); // section length not given
            body.Write(b);
            WriteOption(body, OptShbUserAppl, Encoding.UTF8.GetBytes("netstack harness"));
            WriteOption(body, OptEnd, []);
        });

        var interfaces = new Dictionary<(string, string?), int>();
        void AddInterface(string host, string? segment)
        {
            if (interfaces.ContainsKey((host, segment))) return;
            interfaces[(host, segment)] = interfaces.Count;
            WriteBlock(buffer, InterfaceDescriptionType, body =>
            {
                Span<byte> b = stackalloc byte[8];
                BinaryPrimitives.WriteUInt16LittleEndian(b, LinkTypeEthernet);
                BinaryPrimitives.WriteUInt16LittleEndian(b[2..], 0);
                BinaryPrimitives.WriteUInt32LittleEndian(b[4..], 0); // no snap length limit
                body.Write(b);
                WriteOption(body, OptIfName, Encoding.UTF8.GetBytes(segment is null ? host : $"{host}.{segment}"));
                WriteOption(body, OptIfTsResol, [9]); // 10^-9 s
                WriteOption(body, OptEnd, []);
            });
        }
        foreach (var (host, segment) in ports) AddInterface(host, segment);
        foreach (var f in frames) AddInterface(f.Host, f.Segment);

        foreach (var f in frames)
        {
            WriteBlock(buffer, EnhancedPacketType, body =>
            {
                Span<byte> b = stackalloc byte[20];
                ulong ts = (ulong)(epochUnixNanoseconds + f.Time.Nanoseconds);
                BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)interfaces[(f.Host, f.Segment)]);
                BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)(ts >> 32));
                BinaryPrimitives.WriteUInt32LittleEndian(b[8..], (uint)ts);
                BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)f.Bytes.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)f.Bytes.Length);
                body.Write(b);
                body.Write(f.Bytes);
                Pad(body, f.Bytes.Length);
                Span<byte> flags = stackalloc byte[4];
                // Direction (epb_flags bits 0-1): inbound where a host's rx capture saw it arrive, outbound where sent.
                BinaryPrimitives.WriteUInt32LittleEndian(flags, f.Inbound ? 1u : 2u);
                WriteOption(body, OptEpbFlags, flags);
                foreach (var comment in f.Comments) WriteOption(body, OptComment, Encoding.UTF8.GetBytes(comment));
                WriteOption(body, OptEnd, []);
            });
        }
        buffer.Position = 0;
        buffer.CopyTo(stream);
    }

    private static void WriteBlock(MemoryStream output, uint type, Action<MemoryStream> writeBody)
    {
        var body = new MemoryStream();
        writeBody(body);
        uint total = (uint)(12 + body.Length);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, type);
        output.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, total);
        output.Write(word);
        body.Position = 0;
        body.CopyTo(output);
        output.Write(word);
    }

    private static void WriteOption(MemoryStream body, ushort code, ReadOnlySpan<byte> value)
    {
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, code);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)value.Length);
        body.Write(header);
        body.Write(value);
        Pad(body, value.Length);
    }

    private static void Pad(MemoryStream body, int length)
    {
        for (int i = length; i % 4 != 0; i++) body.WriteByte(0);
    }
}
