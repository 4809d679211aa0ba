using FluentAssertions;
using Netstack.Harness.Benchmarks;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

public class BenchmarkReportTests
{
    [Test]
    public void Prints_a_table_as_figures_arrive_then_one_machine_line_per_figure()
    {
        var workloads = new IBenchmarkWorkload[]
        {
            new DelegateWorkload("First", _ =>
            [
                new BenchmarkFigure("frames_per_second", 2_345_678.4, "frames/s", "flood", ">= 2000000"),
                new BenchmarkFigure("alloc_bytes_per_frame", 0.125, "B/frame", "allocation", "0"),
            ]),
            new DelegateWorkload("Second", s => [new BenchmarkFigure("quick_flag", s.IsQuick ? 1 : 0, "bool", "was quick")]),
        };
        var output = new StringWriter();
        var figures = BenchmarkReport.Run(workloads, BenchmarkSettings.Quick, output);

        figures.Should().HaveCount(3);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        lines[0].Should().Be("First");
        lines[1].Should().MatchRegex(@"^  flood\s+2345678 frames/s\s+target >= 2000000$");
        lines[2].Should().MatchRegex(@"^  allocation\s+0\.13 B/frame\s+target 0$");
        lines[3].Should().Be("Second");
        lines[4].Should().MatchRegex(@"^  was quick\s+1 bool$");
        lines.Skip(5).Should().Equal(
            "BENCH frames_per_second 2345678 frames/s",
            "BENCH alloc_bytes_per_frame 0.13 B/frame",
            "BENCH quick_flag 1 bool");
    }
}
