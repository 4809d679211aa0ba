using FluentAssertions;
using Netstack.Harness.Packetdrill;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Packetdrill;

/// <summary>The corpus of broken scripts in Packetdrill/Broken: each lists, in <c>// expect: LINE:COL: MESSAGE</c>
/// comments, exactly the errors it must produce, in order.</summary>
public class BrokenPacketdrillScriptTests
{
    private const string Marker = "// expect: ";

    public static IEnumerable<TestCaseData> Cases() =>
        Directory.EnumerateFiles(RepositoryPaths.TestsFolder("Packetdrill", "Broken"), "*.pkt")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new TestCaseData(f).SetName("broken pkt " + Path.GetFileNameWithoutExtension(f)));

    [TestCaseSource(nameof(Cases))]
    public void Is_reported_at_its_line_and_column(string path)
    {
        var text = File.ReadAllText(path);
        var expected = text.Split('\n').Where(l => l.StartsWith(Marker, StringComparison.Ordinal))
            .Select(l => "t.pkt:" + l[Marker.Length..].TrimEnd('\r')).ToList();
        expected.Should().NotBeEmpty($"{path} must say what error it expects in a '{Marker}' comment");

        var result = PacketdrillParser.Parse("t.pkt", text);

        result.Errors.Select(e => e.ToString()).Should().Equal(expected);
    }

    [Test]
    public void Corpus_covers_each_kind_of_mistake()
    {
        var names = Directory.EnumerateFiles(RepositoryPaths.TestsFolder("Packetdrill", "Broken"), "*.pkt")
            .Select(Path.GetFileNameWithoutExtension).ToList();
        names.Should().Contain(["bad-flag", "seq-length-mismatch", "unknown-tcp-option", "missing-result", "missing-time",
            "unterminated-comment", "unterminated-code", "bad-ip-field", "several-errors"]);
    }

    [Test]
    public void A_missing_file_is_a_located_error_not_an_exception()
    {
        var result = PacketdrillParser.ParseFile("/nonexistent/x.pkt");

        result.Succeeded.Should().BeFalse();
        result.Errors.Single().ToString().Should().StartWith("/nonexistent/x.pkt:1:1: cannot read the script:");
    }

    [Test]
    public void Errors_stop_after_a_bound_instead_of_cascading()
    {
        var text = string.Concat(Enumerable.Repeat("0 < Q 0:0(0)\n", 100));

        var result = PacketdrillParser.Parse("t.pkt", text);

        result.Errors.Should().HaveCount(PacketdrillParser.MaxErrorsPerFile);
        result.Errors[^1].Location.Line.Should().Be(PacketdrillParser.MaxErrorsPerFile);
    }

    [Test]
    public void Hostile_input_never_throws()
    {
        var random = new Random(1234);
        const string alphabet = "0123456789+-*~.:()[]{}<>,=|!/`\"%#SPFR. ackwinTSvalecr\n\tsocket";
        for (int i = 0; i < 2000; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(1, 120)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var parse = () =>
            {
                var result = PacketdrillParser.Parse("t.pkt", text);
                if (result.Succeeded) PacketdrillAnalyzer.Analyze(result.Script);
            };
            parse.Should().NotThrow($"input: {text}");
        }
    }
}
