using System.Text;
using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>TCP flags as a script writes them: letters <c>S F R P U E W</c> (printed in that order, as the public
/// suites write <c>SF</c>, <c>FP.</c>, <c>SEW</c>), then <c>.</c> for ACK; <c>-</c> for none.</summary>
public readonly record struct TcpFlagSet(bool Fin, bool Syn, bool Rst, bool Psh, bool Urg, bool Ece, bool Cwr, bool Ack)
{
    public static TcpFlagSet None => default;

    /// <summary>Reads <c>S.</c>, <c>P.</c>, <c>SEW</c>, <c>.</c>, <c>-</c>; null names the first letter that is not a flag.</summary>
    public static TcpFlagSet? TryParse(string text, out char bad)
    {
        bad = '\0';
        if (text == "-") return None;
        var flags = None;
        foreach (char c in text)
        {
            switch (c)
            {
                case 'F': flags = flags with { Fin = true }; break;
                case 'S': flags = flags with { Syn = true }; break;
                case 'R': flags = flags with { Rst = true }; break;
                case 'P': flags = flags with { Psh = true }; break;
                case 'U': flags = flags with { Urg = true }; break;
                case 'E': flags = flags with { Ece = true }; break;
                case 'W': flags = flags with { Cwr = true }; break;
                case '.': flags = flags with { Ack = true }; break;
                default: bad = c; return null;
            }
        }
        return flags;
    }

    public override string ToString()
    {
        var text = new StringBuilder(8);
        if (Syn) text.Append('S');
        if (Fin) text.Append('F');
        if (Rst) text.Append('R');
        if (Psh) text.Append('P');
        if (Urg) text.Append('U');
        if (Ece) text.Append('E');
        if (Cwr) text.Append('W');
        if (Ack) text.Append('.');
        return text.Length == 0 ? "-" : text.ToString();
    }
}

/// <summary>One TCP segment in packetdrill's wire notation, sequence numbers relative to the connection's ISNs:
/// <c>P. 1:4(3) ack 1 win 8192 &lt;nop,nop,TS val 100 ecr 0&gt;</c>. A null <see cref="Ack"/>, <see cref="Window"/>
/// or <see cref="Urgent"/> was not written (for an expected segment: not checked). <see cref="AbsoluteSequence"/>:
/// written <c>start:end(len)!</c> (nplab), the numbers are not relative to the ISN.</summary>
public sealed record TcpSegmentSpec(
    TcpFlagSet Flags,
    uint Start,
    uint End,
    int Length,
    uint? Ack,
    int? Window,
    int? Urgent,
    TcpOptionList Options,
    SourceLocation Location,
    bool AbsoluteSequence = false)
{
    public override string ToString() => SegmentNotation.Format(this);
}

/// <summary>The <c>&lt;...&gt;</c> part of a segment. <see cref="AnyOptions"/>: <c>&lt;...&gt;</c> (options not checked).
/// <see cref="Written"/> false: no list at all (an expected segment must then carry none).</summary>
public sealed record TcpOptionList(bool AnyOptions, bool Written, IReadOnlyList<TcpOptionSpec> Items)
{
    public static TcpOptionList Absent { get; } = new(false, false, []);
    public static TcpOptionList Any { get; } = new(true, true, []);

    public override string ToString() => AnyOptions ? "<...>" : !Written ? "" : "<" + string.Join(",", Items) + ">";

    public bool Equals(TcpOptionList? other) =>
        other is not null && AnyOptions == other.AnyOptions && Written == other.Written && Items.SequenceEqual(other.Items);

    public override int GetHashCode() => HashCode.Combine(AnyOptions, Written, Items.Count);
}

/// <summary>One TCP option as written in a list. <see cref="Location"/> is where it was written; two options are
/// equal when their values are, wherever they stand.</summary>
public abstract record TcpOptionSpec
{
    public SourceLocation Location { get; init; }

    public virtual bool Equals(TcpOptionSpec? other) => other is not null && EqualityContract == other.EqualityContract;

    public override int GetHashCode() => EqualityContract.GetHashCode();

    /// <summary>Options our stack implements; the others (md5, Fast Open, AccECN) parse but cannot be executed.</summary>
    public virtual string? UnsupportedReason => null;

    /// <summary>Whether the runner can inject and compare it next to the Linux kernel (<c>--wire tap</c>) even
    /// though our stack has no such option.</summary>
    public virtual bool KernelRuns => UnsupportedReason is null;
}

public sealed record NopOption : TcpOptionSpec
{
    public override string ToString() => "nop";
}

public sealed record EolOption : TcpOptionSpec
{
    public override string ToString() => "eol";
}

public sealed record MssOption(int Mss) : TcpOptionSpec
{
    public override string ToString() => $"mss {Mss}";
}

public sealed record WindowScaleOption(int Shift) : TcpOptionSpec
{
    public override string ToString() => $"wscale {Shift}";
}

public sealed record SackPermittedOption : TcpOptionSpec
{
    public override string ToString() => "sackOK";
}

/// <summary>A SACK block in relative sequence numbers: <c>left:right</c>.</summary>
public readonly record struct SackBlockSpec(uint Left, uint Right)
{
    public override string ToString() => $"{Left}:{Right}";
}

public sealed record SackOption(IReadOnlyList<SackBlockSpec> Blocks) : TcpOptionSpec
{
    public override string ToString() => Blocks.Count == 0 ? "sack" : "sack " + string.Join(" ", Blocks);
    public bool Equals(SackOption? other) => other is not null && Blocks.SequenceEqual(other.Blocks);
    public override int GetHashCode() => Blocks.Count;
}

/// <summary><c>TS val 100 ecr 0</c>; a null value was written <c>*</c> (any). <see cref="EchoAbsolute"/>: written
/// <c>ecr N!</c> (nplab), not relative to the peer's first timestamp.</summary>
public sealed record TimestampOption(uint? Value, uint? Echo, bool EchoAbsolute = false) : TcpOptionSpec
{
    public override string ToString() =>
        $"TS val {Value?.ToString() ?? "*"} ecr {Echo?.ToString() ?? "*"}{(EchoAbsolute ? "!" : "")}";
}

/// <summary><c>...</c> inside a list: any options (zero or more) may stand here.</summary>
public sealed record AnyOptionsWildcard : TcpOptionSpec
{
    public override string ToString() => "...";
}

public sealed record Md5Option(string Digest) : TcpOptionSpec
{
    public override string ToString() => $"md5 {Digest}";
    public override string UnsupportedReason => "TCP MD5 signatures (RFC 2385) are not implemented";
}

/// <summary><c>FO cookie</c> or the experimental <c>FOEXP cookie</c> (TCP Fast Open, RFC 7413).</summary>
public sealed record FastOpenOption(string Cookie, bool Experimental) : TcpOptionSpec
{
    public override string ToString() => (Experimental ? "FOEXP" : "FO") + (Cookie.Length > 0 ? " " + Cookie : "");
    public override string UnsupportedReason => "TCP Fast Open is not implemented by our stack (the kernel runs it: --wire tap)";
    public override bool KernelRuns => true;
}

/// <summary>An AccECN option (<c>ECN e0b 1 ceb 2 e1b 3</c>), kept as written.</summary>
public sealed record AccEcnOption(string Text) : TcpOptionSpec
{
    public override string ToString() => Text;
    public override string UnsupportedReason => "Accurate ECN is not implemented";
}
