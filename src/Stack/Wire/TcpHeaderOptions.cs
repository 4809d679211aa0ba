using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Netstack.Wire;

/// <summary>TCP option kinds (IANA) this stack parses or writes.</summary>
public enum TcpOptionKind : byte
{
    /// <summary>End of option list.</summary>
    End = 0,
    /// <summary>No-operation, used as padding for alignment.</summary>
    Nop = 1,
    /// <summary>Maximum segment size (RFC 9293 §3.7.1); SYN only.</summary>
    Mss = 2,
    /// <summary>Window scale shift (RFC 7323 §2); SYN only.</summary>
    WindowScale = 3,
    /// <summary>SACK permitted (RFC 2018); SYN only.</summary>
    SackPermitted = 4,
    /// <summary>SACK blocks (RFC 2018).</summary>
    Sack = 5,
    /// <summary>Timestamps TSval/TSecr (RFC 7323 §3).</summary>
    Timestamp = 8,
}

/// <summary>A SACK block (RFC 2018): the half-open sequence range [Left, Right).</summary>
/// <param name="Left">First sequence number of the block.</param>
/// <param name="Right">Sequence number just past the block.</param>
public readonly record struct SackBlock(uint Left, uint Right);

/// <summary>Fixed inline storage for up to <see cref="TcpHeaderOptions.MaxSackBlocks"/> SACK blocks, so options need no
/// array.</summary>
[InlineArray(4)]
public struct SackBlockArray
{
    private SackBlock _first;
}

/// <summary>The TCP options this stack understands (RFC 9293 MSS, RFC 7323 window scale and timestamps,
/// RFC 2018 SACK), parsed from or to be written into a header. A plain struct: no allocation.</summary>
public struct TcpHeaderOptions
{
    /// <summary>Most SACK blocks kept or written; 4 fill the 40-byte option space without timestamps.</summary>
    public const int MaxSackBlocks = 4;

    /// <summary>0 when absent.</summary>
    public ushort Mss;
    /// <summary>-1 when absent.</summary>
    public sbyte WindowScale;
    /// <summary>SACK-permitted option present (RFC 2018).</summary>
    public bool SackPermitted;
    /// <summary>Timestamps option present; <see cref="TsVal"/> and <see cref="TsEcr"/> are meaningful only
    /// then.</summary>
    public bool HasTimestamp;
    /// <summary>Timestamp value: the sender's timestamp clock (RFC 7323 §3).</summary>
    public uint TsVal;
    /// <summary>Timestamp echo reply: the most recent TSval received from the peer (RFC 7323 §3).</summary>
    public uint TsEcr;
    /// <summary>Number of valid entries in <see cref="SackBlocks"/>, 0–<see cref="MaxSackBlocks"/>.</summary>
    public int SackBlockCount;
    /// <summary>The SACK blocks; only the first <see cref="SackBlockCount"/> are meaningful.</summary>
    public SackBlockArray SackBlocks;
    /// <summary>The layout <see cref="Write"/> uses; Linux's unless set (parsing does not set it).</summary>
    public TcpOptionLayout Layout;

    /// <summary>No options (window scale -1 = absent), the starting point for building or parsing.</summary>
    public static TcpHeaderOptions None => new() { WindowScale = -1 };

    /// <summary>Parses an options area. Unknown options are skipped by their length; false when the area
    /// is malformed (an option running past the end, or a length below 2), in which case what was parsed
    /// before the fault is kept.</summary>
    public static bool TryParse(ReadOnlySpan<byte> area, out TcpHeaderOptions o)
    {
        o = None;
        int i = 0;
        while (i < area.Length)
        {
            var kind = (TcpOptionKind)area[i];
            if (kind == TcpOptionKind.End) return true;
            if (kind == TcpOptionKind.Nop)
            {
                i++;
                continue;
            }
            if (i + 1 >= area.Length) return false;
            int len = area[i + 1];
            if (len < 2 || i + len > area.Length) return false;
            var body = area.Slice(i + 2, len - 2);
            switch (kind)
            {
                case TcpOptionKind.Mss when len == 4:
                    o.Mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case TcpOptionKind.WindowScale when len == 3:
                    // RFC 7323 §2.3: a shift above 14 is treated as 14.
                    o.WindowScale = (sbyte)Math.Min(body[0], (byte)14);
                    break;
                case TcpOptionKind.SackPermitted when len == 2:
                    o.SackPermitted = true;
                    break;
                case TcpOptionKind.Timestamp when len == 10:
                    o.HasTimestamp = true;
                    o.TsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    o.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
                case TcpOptionKind.Sack when len >= 10 && (len - 2) % 8 == 0:
                    int n = Math.Min((len - 2) / 8, MaxSackBlocks);
                    for (int b = 0; b < n; b++)
                        o.SackBlocks[b] = new SackBlock(BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8)..]),
                            BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8 + 4)..]));
                    o.SackBlockCount = n;
                    break;
            }
            i += len;
        }
        return true;
    }

    /// <summary>Bytes <see cref="Write"/> will produce (a multiple of 4).</summary>
    public readonly int Length
    {
        get
        {
            if (Layout == TcpOptionLayout.FreeBsd) return FreeBsdLength();
            int n = 0;
            if (Mss != 0) n += 4;
            if (HasTimestamp || SackPermitted) n += 12 - (HasTimestamp ? 0 : 8);
            if (WindowScale >= 0) n += 4;
            if (SackBlockCount > 0) n += 4 + 8 * SackBlockCount;
            return n;
        }
    }

    /// <summary>Writes the options in the layout Linux uses (MSS, SACK-permitted, timestamps, NOP, window
    /// scale; NOP-padded SACK blocks), returning the bytes written.</summary>
    public readonly int Write(Span<byte> s)
    {
        if (Layout == TcpOptionLayout.FreeBsd) return WriteFreeBsd(s);
        int i = 0;
        if (Mss != 0) i = WriteMss(s, i);
        if (HasTimestamp)
        {
            if (SackPermitted)
            {
                s[i] = (byte)TcpOptionKind.SackPermitted;
                s[i + 1] = 2;
            }
            else
            {
                s[i] = (byte)TcpOptionKind.Nop;
                s[i + 1] = (byte)TcpOptionKind.Nop;
            }
            s[i + 2] = (byte)TcpOptionKind.Timestamp;
            s[i + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(s[(i + 4)..], TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(s[(i + 8)..], TsEcr);
            i += 12;
        }
        else if (SackPermitted)
        {
            s[i] = (byte)TcpOptionKind.Nop;
            s[i + 1] = (byte)TcpOptionKind.Nop;
            s[i + 2] = (byte)TcpOptionKind.SackPermitted;
            s[i + 3] = 2;
            i += 4;
        }
        if (WindowScale >= 0) i = WriteNopWindowScale(s, i);
        if (SackBlockCount > 0)
        {
            s[i] = (byte)TcpOptionKind.Nop;
            s[i + 1] = (byte)TcpOptionKind.Nop;
            s[i + 2] = (byte)TcpOptionKind.Sack;
            s[i + 3] = (byte)(2 + 8 * SackBlockCount);
            i += 4;
            i = WriteSackBlocks(s, i);
        }
        return i;
    }

    /// <summary>The FreeBSD layout: MSS; NOP and window scale; SACK-permitted; NOPs until the timestamps start 2
    /// bytes past a 4-byte boundary (so their values are aligned); SACK blocks after two NOPs; EOLs to the 4-byte
    /// boundary. Seen in freebsd-net/tcp-testsuite as &lt;mss 1460,nop,wscale 6,sackOK,TS val ecr&gt; and
    /// &lt;mss 1460,sackOK,eol,eol&gt;.</summary>
    private readonly int WriteFreeBsd(Span<byte> s)
    {
        int i = 0;
        if (Mss != 0) i = WriteMss(s, i);
        if (WindowScale >= 0) i = WriteNopWindowScale(s, i);
        if (SackPermitted)
        {
            s[i] = (byte)TcpOptionKind.SackPermitted;
            s[i + 1] = 2;
            i += 2;
        }
        if (HasTimestamp)
        {
            while (i % 4 != 2) s[i++] = (byte)TcpOptionKind.Nop;
            s[i] = (byte)TcpOptionKind.Timestamp;
            s[i + 1] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(s[(i + 2)..], TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(s[(i + 6)..], TsEcr);
            i += 10;
        }
        if (SackBlockCount > 0)
        {
            while (i % 4 != 2) s[i++] = (byte)TcpOptionKind.Nop;
            s[i] = (byte)TcpOptionKind.Sack;
            s[i + 1] = (byte)(2 + 8 * SackBlockCount);
            i += 2;
            i = WriteSackBlocks(s, i);
        }
        while (i % 4 != 0) s[i++] = (byte)TcpOptionKind.End;
        return i;
    }

    /// <summary>MSS option (kind, length 4, value) at <paramref name="i"/>; returns the offset after it.</summary>
    private readonly int WriteMss(Span<byte> s, int i)
    {
        s[i] = (byte)TcpOptionKind.Mss;
        s[i + 1] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(s[(i + 2)..], Mss);
        return i + 4;
    }

    /// <summary>A NOP, then the window scale option (kind, length 3, shift), at <paramref name="i"/>; returns the
    /// offset after them.</summary>
    private readonly int WriteNopWindowScale(Span<byte> s, int i)
    {
        s[i] = (byte)TcpOptionKind.Nop;
        s[i + 1] = (byte)TcpOptionKind.WindowScale;
        s[i + 2] = 3;
        s[i + 3] = (byte)WindowScale;
        return i + 4;
    }

    /// <summary>The left and right edges of each SACK block, after the SACK option's kind and length; returns the
    /// offset after them.</summary>
    private readonly int WriteSackBlocks(Span<byte> s, int i)
    {
        for (int b = 0; b < SackBlockCount; b++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[i..], SackBlocks[b].Left);
            BinaryPrimitives.WriteUInt32BigEndian(s[(i + 4)..], SackBlocks[b].Right);
            i += 8;
        }
        return i;
    }

    private readonly int FreeBsdLength()
    {
        int i = Mss != 0 ? 4 : 0;
        if (WindowScale >= 0) i += 4;
        if (SackPermitted) i += 2;
        if (HasTimestamp) i += (6 - i % 4) % 4 + 10;
        if (SackBlockCount > 0) i += (6 - i % 4) % 4 + 2 + 8 * SackBlockCount;
        return (i + 3) & ~3;
    }

    /// <summary>The options as tcpdump prints them, e.g. "mss 1460,sackOK,TS val 1 ecr 0,wscale 7".</summary>
    public override readonly string ToString()
    {
        var parts = new List<string>();
        if (Mss != 0) parts.Add($"mss {Mss}");
        if (SackPermitted) parts.Add("sackOK");
        if (HasTimestamp) parts.Add($"TS val {TsVal} ecr {TsEcr}");
        if (WindowScale >= 0) parts.Add($"wscale {WindowScale}");
        for (int b = 0; b < SackBlockCount; b++) parts.Add($"sack {SackBlocks[b].Left}:{SackBlocks[b].Right}");
        return string.Join(",", parts);
    }
}
