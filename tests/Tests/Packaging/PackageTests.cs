using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using FluentAssertions;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Packaging;

/// <summary>What a user of the packages gets: <c>dotnet pack</c> of the solution (already built, so it only packs)
/// gives the stack, the drivers and the harness as libraries with metadata, a README and XML docs, and the
/// <c>harness</c> command as a .NET tool that installs from the local folder and runs; the example program that
/// uses the library (built with the solution) runs and writes a pcap tshark reads clean. One fixture: pack once.</summary>
[NonParallelizable]
public class PackageTests
{
    private const string Version = "0.1.0";
    private static readonly string[] Libraries = ["Netstack", "Netstack.Drivers", "Netstack.Harness"];
    private const string Tool = "Netstack.Harness.Tool";

    private string _packages = null!;
    private string _work = null!;

    /// <summary>Debug or Release: the configuration this test assembly was built in, which the packages come from.</summary>
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    [OneTimeSetUp]
    public void Pack()
    {
        _work = Path.Combine(Path.GetTempPath(), $"netstack-pack-{Environment.ProcessId}");
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
        _packages = Path.Combine(_work, "packages");
        var (code, output) = Dotnet(RepositoryPaths.Root, "pack", "Harness.sln", "-c", Configuration, "--no-build", "-nologo",
            "-v", "q", "-o", _packages);
        code.Should().Be(0, output);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    [Test]
    public void Packs_the_libraries_and_the_tool_and_nothing_else()
    {
        Directory.GetFiles(_packages, "*.nupkg").Select(Path.GetFileName).Should().BeEquivalentTo(
            [.. Libraries.Select(l => $"{l}.{Version}.nupkg"), $"{Tool}.{Version}.nupkg"]);
        foreach (var id in Libraries.Append(Tool))
            File.Exists(Path.Combine(_packages, $"{id}.{Version}.snupkg")).Should().BeTrue($"{id} has a symbol package");
    }

    [TestCaseSource(nameof(AllPackages))]
    public void Carries_real_metadata_and_its_own_readme(string id)
    {
        using var package = Open(id);
        var metadata = Nuspec(package, id);
        string Field(string name) => metadata.Element(metadata.Name.Namespace + name)?.Value ?? "";

        Field("id").Should().Be(id);
        Field("version").Should().Be(Version);
        Field("authors").Should().NotBeNullOrWhiteSpace();
        Field("description").Length.Should().BeGreaterThan(80, "a description says what the package is");
        metadata.Element(metadata.Name.Namespace + "license")!.Attribute("type")!.Value.Should().Be("expression");
        Field("license").Should().Be("MIT");
        File.ReadAllText(Path.Combine(RepositoryPaths.Root, "LICENSE")).Should().StartWith("MIT License");
        Field("readme").Should().Be("README.md");
        var readme = new StreamReader(package.GetEntry("README.md")!.Open()).ReadToEnd();
        readme.Should().StartWith($"# {id}\n", "each package has its own README");
    }

    [TestCaseSource(nameof(LibraryPackages))]
    public void A_library_ships_its_assembly_with_xml_docs(string id)
    {
        using var package = Open(id);
        package.GetEntry($"lib/net10.0/{id}.dll").Should().NotBeNull();
        var docs = package.GetEntry($"lib/net10.0/{id}.xml");
        docs.Should().NotBeNull("XML docs give IntelliSense to users");
        var xml = XDocument.Load(docs!.Open());
        xml.Descendants("member").Count().Should().BeGreaterThan(50);
    }

    [Test]
    public void The_tool_package_names_the_harness_command_and_installs_and_runs_from_the_local_folder()
    {
        using (var package = Open(Tool))
        {
            Nuspec(package, Tool).Descendants().Where(e => e.Name.LocalName == "packageType")
                .Select(e => e.Attribute("name")!.Value).Should().Contain("DotnetTool");
            var settings = XDocument.Load(package.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
            var command = settings.Descendants("Command").Single();
            command.Attribute("Name")!.Value.Should().Be("harness");
            command.Attribute("EntryPoint")!.Value.Should().Be("harness.dll");
        }

        // Only the local folder as a source: installing must not need the network.
        var config = Path.Combine(_work, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_packages}" />
              </packageSources>
            </configuration>
            """);
        var toolPath = Path.Combine(_work, "tools");
        var (code, output) = Dotnet(_work, "tool", "install", "--tool-path", toolPath, "--configfile", config, Tool, "--version", Version);
        code.Should().Be(0, output);

        var harness = Path.Combine(toolPath, "harness");
        var version = Run(harness, _work, "--version");
        version.Code.Should().Be(0, version.Output);
        version.Output.Trim().Should().StartWith(Version);
        var help = Run(harness, _work, "--help");
        help.Code.Should().Be(0, help.Output);
        help.Output.Should().Contain("run").And.Contain("replay");
    }

    [Test]
    public void The_example_program_exchanges_over_tcp_and_writes_a_pcap_tshark_reads_clean()
    {
        var dll = Path.Combine(RepositoryPaths.Root, "examples", "TwoHostsTcp", "bin", Configuration, "net10.0", "TwoHostsTcp.dll");
        File.Exists(dll).Should().BeTrue("the example is built with Harness.sln");
        var pcap = Path.Combine(_work, "two-hosts.pcap");
        var (code, output) = Dotnet(_work, dll, pcap);
        code.Should().Be(0, output);
        output.Should().Contain("a received: hello over a virtual wire");
        File.Exists(pcap).Should().BeTrue();

        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(pcap);
        verdict.Clean.Should().BeTrue(verdict.ToString());
        verdict.Frames.Should().BeGreaterThanOrEqualTo(10, "ARP, the handshake, data both ways and both FINs");
    }

    private static IEnumerable<string> AllPackages() => Libraries.Append(Tool);
    private static IEnumerable<string> LibraryPackages() => Libraries;

    private ZipArchive Open(string id) => ZipFile.OpenRead(Path.Combine(_packages, $"{id}.{Version}.nupkg"));

    private static XElement Nuspec(ZipArchive package, string id)
    {
        var nuspec = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open());
        return nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static (int Code, string Output) Dotnet(string directory, params string[] args) =>
        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", directory, args);

    private static (int Code, string Output) Run(string program, string directory, params string[] args)
    {
        Directory.CreateDirectory(directory);
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
