using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary><c>connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)</c>: a call, what it must return,
/// the errno it must set, and the free text packetdrill ignores. <see cref="EndMicros"/> is the end time of a
/// blocking call written <c>...0.010 read(...)</c>, in the same time base as the event's own time.</summary>
public sealed record SyscallLine(
    string Name,
    IReadOnlyList<Expr> Arguments,
    Expr Result,
    string? Errno,
    string? Note,
    long? EndMicros,
    SourceLocation Location) : EventAction(Location)
{
    public Expr? Argument(int index) => index < Arguments.Count ? Arguments[index] : null;

    /// <summary>The fd a call works on (its first argument), when it is a literal.</summary>
    public int? FdArgument => Argument(0) is IntegerExpr { Value: >= 0 and <= int.MaxValue } fd ? (int)fd.Value : null;

    public override string ToString() =>
        $"{Name}({string.Join(", ", Arguments)}) = {Result}" + (Errno is null ? "" : " " + Errno) + (Note is null ? "" : $" ({Note})");
}

/// <summary>A system call argument or expected value, as packetdrill's expression grammar has them.</summary>
public abstract record Expr(SourceLocation Location);

/// <summary><c>3</c>, <c>-1</c>, <c>0x02</c>.</summary>
public sealed record IntegerExpr(long Value, bool Hex, SourceLocation Location) : Expr(Location)
{
    public override string ToString() => Hex ? $"0x{Value:x}" : Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A symbol: <c>SOCK_STREAM</c>, <c>POLLIN</c>, <c>TCP_ESTABLISHED</c>.</summary>
public sealed record WordExpr(string Name, SourceLocation Location) : Expr(Location)
{
    public override string ToString() => Name;
}

/// <summary><c>"abc"</c>; <see cref="Prefix"/>: written <c>"abc"...</c> (a buffer that starts so).</summary>
public sealed record StringExpr(string Value, bool Prefix, SourceLocation Location) : Expr(Location)
{
    public override string ToString() => $"\"{Value}\"" + (Prefix ? "..." : "");
}

/// <summary><c>...</c>: an argument packetdrill fills in (an address, a buffer) or a value not checked.</summary>
public sealed record EllipsisExpr(SourceLocation Location) : Expr(Location)
{
    public override string ToString() => "...";
}

/// <summary><c>O_RDWR|O_NONBLOCK</c></summary>
public sealed record BitOrExpr(IReadOnlyList<Expr> Terms, SourceLocation Location) : Expr(Location)
{
    public override string ToString() => string.Join("|", Terms);
}

/// <summary><c>tcpi_state=TCP_ESTABLISHED</c>, <c>fd=4</c>, <c>msg_iov(1)=[...]</c>: a named field of a struct.</summary>
public sealed record FieldExpr(Expr Target, Expr Value, SourceLocation Location) : Expr(Location)
{
    public string? Name => Target switch { WordExpr w => w.Name, CallExpr c => c.Function, _ => null };
    public override string ToString() => $"{Target}={Value}";
}

/// <summary><c>[1]</c>, <c>[{fd=4, events=POLLIN}]</c>: a pointer to a value, or an array.</summary>
public sealed record ArrayExpr(IReadOnlyList<Expr> Items, SourceLocation Location) : Expr(Location)
{
    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}

/// <summary><c>{onoff=1, linger=0}</c>, <c>{..., 1000}</c>: a struct, by field or by position.</summary>
public sealed record StructExpr(IReadOnlyList<Expr> Items, SourceLocation Location) : Expr(Location)
{
    public Expr? Field(string name) => Items.OfType<FieldExpr>().FirstOrDefault(f => f.Name == name)?.Value;
    public override string ToString() => "{" + string.Join(", ", Items) + "}";
}

/// <summary><c>htons(8080)</c>, <c>inet_addr("192.0.2.1")</c></summary>
public sealed record CallExpr(string Function, IReadOnlyList<Expr> Arguments, SourceLocation Location) : Expr(Location)
{
    public override string ToString() => $"{Function}({string.Join(", ", Arguments)})";
}
