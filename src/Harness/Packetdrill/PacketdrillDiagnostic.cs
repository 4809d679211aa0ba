using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>One thing wrong with a script, printed the way a compiler prints it: <c>file:line:col: message</c>.</summary>
public sealed record PacketdrillDiagnostic(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}
