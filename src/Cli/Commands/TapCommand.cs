using System.CommandLine;
using Netstack.Cli.Live;
using Netstack.Drivers.Tap;

namespace Netstack.Cli.Commands;

/// <summary>`harness tap`: runs our stack on a TAP device in the current network namespace, so the Linux
/// kernel (or anything behind the tap) talks to it as to any other host. The options are a contract
/// that scripts rely on.</summary>
public static class TapCommand
{
    public static Command Create()
    {
        var dev = new Option<string>("--dev") { Description = "TAP device to attach to (created if absent)", Required = true };
        var ip = new Option<string>("--ip") { Description = "Our address with prefix length, e.g. 10.0.0.2/24", Required = true };
        var ip6 = new Option<string[]>("--ip6")
        {
            Description = "Turn IPv6 on: an address with prefix length (e.g. 2001:db8::2/64), or 'auto' for the link-local " +
                          "address only; either way the link-local address is formed from the MAC and addresses are taken " +
                          "from routers' advertisements (SLAAC); repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var mac = new Option<string?>("--mac") { Description = "Our MAC address (default: random, locally administered)" };
        var gateway = new Option<string?>("--gateway") { Description = "Default gateway (on the --ip network)" };
        var mtu = new Option<int?>("--mtu") { Description = "Our MTU (default: the tap's MTU)" };
        var serve = new Option<string[]>("--serve")
        {
            Description = "Service to run: echo:PORT (UDP and TCP), discard:PORT (prints the SHA-256), sink:PORT (discard, byte count only), http:PORT[:DIR]; repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var fetch = new Option<string?>("--fetch") { Description = "HTTP GET this URL (http://IPV4[:PORT]/PATH or http://[IPV6][:PORT]/PATH) through our stack, print the result, exit" };
        var send = new Option<string?>("--send") { Description = "Send FILE over TCP to HOST:PORT (IPV4:PORT:FILE or [IPV6]:PORT:FILE), close, print the result, exit" };
        var offload = new Option<bool>("--offload") { Description = "virtio-net headers with checksum/TSO offload: the kernel may send us 64 KB TCP segments" };
        var noCoalesce = new Option<bool>("--no-coalesce") { Description = "Hand every TCP segment to the stack as it came (by default consecutive segments of a flow read in one batch are joined, as Linux's GRO does, unless --record is given)" };
        var record = new Option<string?>("--record") { Description = "Write every frame on the tap to this pcap file" };
        var duration = new Option<string?>("--duration") { Description = "Stop after this many seconds" };
        var defaults = ConnectionLimits.Default;
        var headerTimeout = new Option<string?>("--header-timeout") { Description = $"Seconds an HTTP request head may take to arrive (default {defaults.HeaderTimeout.TotalSeconds})" };
        var idleTimeout = new Option<string?>("--idle-timeout") { Description = $"Seconds a served TCP connection may go without a read or write completing (default {defaults.IdleTimeout.TotalSeconds})" };
        var warmUp = new Option<bool>("--warm-up")
        {
            Description = "Compile the stack's code before saying ready, so the first frames are answered as fast as the rest (for peers that time them)",
        };
        var maxConnections = new Option<int?>("--max-connections") { Description = $"Connections open at once per TCP service; one more resets the least recently active (default {defaults.MaxConnections})" };

        var command = new Command("tap", "Run the stack on a TAP device (live, real time)");
        command.Subcommands.Add(TapForwardCommand.Create());
        foreach (var o in new Option[] { dev, ip, ip6, mac, gateway, mtu, serve, fetch, send, record, duration, offload, noCoalesce, headerTimeout, idleTimeout, maxConnections, warmUp })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            var address = TapOptions.ParseAddress(parse.GetValue(ip)!);
            var ip6Values = parse.GetValue(ip6) ?? [];
            var ip6Addresses = ip6Values.Select(TapOptions.ParseIpv6Address).OfType<Netstack.Wire.Ipv6Cidr>().ToArray();
            var options = new TapOptions
            {
                Device = parse.GetValue(dev)!,
                Address = address,
                Ipv6 = ip6Values.Length > 0,
                Ipv6Addresses = ip6Addresses,
                Mac = parse.GetValue(mac) is { } m ? TapOptions.ParseMac(m) : null,
                Gateway = parse.GetValue(gateway) is { } g ? TapOptions.ParseGateway(g, address) : null,
                Mtu = parse.GetValue(mtu) is { } n ? TapOptions.ParseMtu(n) : null,
                Services = (parse.GetValue(serve) ?? []).Select(ServeSpec.Parse).ToArray(),
                Fetch = parse.GetValue(fetch) is { } f ? HttpFetch.Parse(f) : null,
                Send = parse.GetValue(send) is { } s ? SendSpec.Parse(s) : null,
                RecordPath = parse.GetValue(record),
                Offload = parse.GetValue(offload),
                Coalesce = !parse.GetValue(noCoalesce),
                Duration = parse.GetValue(duration) is { } d ? TapOptions.ParseDuration(d) : null,
                Limits = new ConnectionLimits
                {
                    HeaderTimeout = parse.GetValue(headerTimeout) is { } h
                        ? TapOptions.ParseTimeout("--header-timeout", h) : defaults.HeaderTimeout,
                    IdleTimeout = parse.GetValue(idleTimeout) is { } i
                        ? TapOptions.ParseTimeout("--idle-timeout", i) : defaults.IdleTimeout,
                    MaxConnections = parse.GetValue(maxConnections) is { } c
                        ? TapOptions.ParseMaxConnections(c) : defaults.MaxConnections,
                },
            };
            // A method's first call stops the loop while the JIT compiles it: a SYN-ACK a conformance check times to
            // a few milliseconds would be late for a reason that is ours, not the stack's.
            if (parse.GetValue(warmUp)) Netstack.Harness.Running.JitWarmUp.PrepareOnce();
            return Run(options, Console.Out, Console.Error);
        });
        return command;
    }

    public static int Run(TapOptions options, TextWriter output, TextWriter log)
    {
        if (options.Fetch is not null && options.Send is not null)
            throw new UsageException("--fetch and --send: give one client action at a time");
        if ((options.Fetch?.Host.IsIpv4 == false || options.Send?.Host.IsIpv4 == false) && !options.Ipv6)
            throw new UsageException("--fetch/--send to an IPv6 address: turn IPv6 on with --ip6 ADDR/PREFIX or --ip6 auto");
        if (options.Services.Select(s => s.Port).GroupBy(p => p).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw new UsageException($"--serve: port {clash.Key} is given more than once");
        LiveHost host;
        try
        {
            host = new LiveHost(options);
        }
        catch (TapUnavailableException e)
        {
            log.WriteLine($"harness: {e.Message}");
            return Program.ExitFailed;
        }
        using (host)
        {
            // The loop prints through queues, so that a reader of stdout or stderr that stops reading cannot block it.
            using var queuedOutput = new QueuedLineWriter(output, "tap stdout");
            using var queuedLog = new QueuedLineWriter(log, "tap stderr");
            var session = new TapSession(host, queuedOutput, queuedLog);
            return session.Run();
        }
    }
}
