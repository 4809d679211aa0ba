using Netstack.Harness.Packetdrill;
using Netstack.Tests.Support;

namespace Netstack.Tests.Packetdrill;

/// <summary>Our own .pkt files under Packetdrill/Scripts and Packetdrill/Broken (written here, none copied).</summary>
internal static class PacketdrillScripts
{
    public static string Path(string name) => RepositoryPaths.TestsFolder("Packetdrill", "Scripts", name);

    public static PacketdrillScript Parse(string name)
    {
        var result = PacketdrillParser.ParseFile(Path(name));
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("\n", result.Errors));
        return result.Script;
    }

    /// <summary>Parses text given inline; the file name in locations is "t.pkt".</summary>
    public static PacketdrillParseResult ParseText(string text) => PacketdrillParser.Parse("t.pkt", text);

    public static T Action<T>(this PacketdrillScript script, int index) where T : EventAction => (T)script.Events[index].Action;
}
