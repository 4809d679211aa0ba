using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Harness.Linux;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>Issue 18's crafted frames against a live `harness tap`, written onto the kernel's side of the tap with an
/// AF_PACKET socket in a namespace of the test's own: the fragment bomb (ICMP and UDP, 4 and 40 bytes of options in
/// the first fragment, adding up past 65,535), datagrams and SYNs from sources no host can have, ARP claiming the
/// kernel's address from an all-zero or our own MAC. After each attack the process is alive, answers ping and serves
/// HTTP; at the end its drop counters name every refused frame, and its recording shows no answer to any of them.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class HostileFramesTests : LiveHarnessFixture
{
    private const string KernelIp = "10.77.0.1";
    private const string OurIp = "10.77.0.2";
    private const string Page = "<p>crafted frames test</p>\n";

    private MacAddress _ourMac, _kernelMac;
    private int _frameFiles;

    [OneTimeSetUp]
    public void StartHarness()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        RequiredTools.Require("curl", "ping", "python3", "tshark");
        WorkDir = Path.Combine(Path.GetTempPath(), $"tap-crafted-{Environment.ProcessId}");
        if (Directory.Exists(WorkDir)) Directory.Delete(WorkDir, true);
        var site = Directory.CreateDirectory(Path.Combine(WorkDir, "site")).FullName;
        File.WriteAllText(Path.Combine(site, "index.html"), Page);

        Ns = NetworkNamespace.Create("nscrafted");
        Ns.AddTap("tap0", $"{KernelIp}/24");
        Live = HarnessProcess.Start(Ns, "tap", "--dev", "tap0", "--ip", $"{OurIp}/24", "--serve", $"http:80:{site}",
            "--serve", "echo:7", "--record", Path.Combine(WorkDir, "live.pcap"), "--duration", "300");
        var ready = Live.WaitForReady(Duration.FromSeconds(30));
        _ourMac = MacAddress.Parse(ready.Split(' ')[^1]);
        _kernelMac = MacAddress.Parse(Ns.MustRun("cat", "/sys/class/net/tap0/address").Output.Trim());
        StillServes();
    }

    private void StillServes()
    {
        Live!.HasExited.Should().BeFalse(Live.Error);
        var ping = Ns!.Run("ping", "-c", "1", "-W", "2", OurIp);
        ping.ExitCode.Should().Be(0, ping.ToString());
        var curl = Ns.Run(Duration.FromSeconds(10), "curl", "-s", "--max-time", "5", $"http://{OurIp}/");
        curl.Output.Should().Be(Page, Live.Error);
    }

    /// <summary>Writes the frames onto the tap from the kernel's side, as they are (no kernel stack in between).</summary>
    private void Send(IEnumerable<byte[]> frames)
    {
        var file = Path.Combine(WorkDir, $"frames-{_frameFiles++}.hex");
        File.WriteAllLines(file, frames.Select(Convert.ToHexString));
        var r = Ns!.Run(Duration.FromSeconds(20), "python3", "-c",
            "import socket,sys\n" +
            "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n" +
            "s.bind(('tap0',0))\n" +
            "for line in open(sys.argv[1]):\n" +
            "    line=line.strip()\n" +
            "    if line: s.send(bytes.fromhex(line))\n", file);
        r.ExitCode.Should().Be(0, r.ToString());
        Thread.Sleep(200); // let the harness take them in before the next check
    }

    [Test, Order(1)]
    public void A_fragment_bomb_with_options_in_the_first_fragment_does_not_kill_the_process(
        [Values(IpProtocol.Icmp, IpProtocol.Udp)] IpProtocol protocol, [Values(4, 40)] int optionBytes)
    {
        // 65,512 payload bytes: each fragment is within the limit, but header plus payload is over 65,535.
        var message = protocol == IpProtocol.Icmp ? Icmp(8, new byte[65_512 - 8]) : Udp(KernelIp, 4000, 7, new byte[65_512 - 8]);
        Send(Fragments(KernelIp, protocol, message, optionBytes, id: (ushort)(0x4000 + optionBytes + (int)protocol)));
        StillServes();
    }

    private static readonly string[] InvalidSources = ["10.77.0.255", "255.255.255.255", "127.0.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", OurIp];

    [Test, Order(2)]
    public void Echo_udp_and_syn_from_sources_no_host_can_have_are_not_answered()
    {
        var frames = new List<byte[]>();
        foreach (var source in InvalidSources)
        {
            frames.Add(Ip(source, IpProtocol.Icmp, Icmp(8, "hostile"u8.ToArray())));
            frames.Add(Ip(source, IpProtocol.Udp, Udp(source, 4001, 7, "hostile"u8.ToArray())));
            frames.Add(Ip(source, IpProtocol.Tcp, Syn(source, 4002, 80, mss: 1460)));
        }
        Send(frames);
        StillServes();
    }

    [Test, Order(3)]
    public void Arp_from_an_all_zero_or_our_own_mac_poisons_nothing()
    {
        Send([ArpReply(MacAddress.Zero), ArpReply(_ourMac), ArpReply(MacAddress.Broadcast)]);
        StillServes(); // replies still reach the kernel's real MAC
    }

    /// <summary>A peer offering MSS 8 gets segments of at least 48 bytes (Linux's tcp_min_snd_mss), not thousands
    /// of 8-byte ones. The handshake is played raw from the kernel's side (its own stack would reset the connection
    /// it never opened, so an nftables rule in the namespace drops the kernel's RSTs on that port).</summary>
    [Test, Order(4)]
    public void A_peer_offering_mss_8_gets_segments_of_at_least_48_bytes()
    {
        Ns!.MustRun("nft", "add", "table", "inet", "crafted");
        Ns.MustRun("nft", "add", "chain", "inet", "crafted", "out", "{ type filter hook output priority 0 ; }");
        Ns.MustRun("nft", "add", "rule", "inet", "crafted", "out", "tcp", "sport", "40008", "tcp", "flags", "rst", "drop");
        var syn = Convert.ToHexString(Ip(KernelIp, IpProtocol.Tcp, Syn(KernelIp, 40008, 80, mss: 8)));
        // The script answers our SYN-ACK with an ACK carrying a request, acknowledges what comes back, and prints the
        // payload length of every data segment we send until our FIN.
        var r = Ns.Run(Duration.FromSeconds(30), "python3", "-c", MssScript, syn, _ourMac.ToString(), _kernelMac.ToString(), KernelIp, OurIp);
        r.ExitCode.Should().Be(0, r.ToString());
        var lengths = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        lengths.Sum().Should().BeGreaterThan(Page.Length, "the whole response came back: " + string.Join(",", lengths));
        // Segments are cut at the floor of 48, never at the offered 8; only the tail of each write (the response's head
        // and body are two) may be shorter.
        lengths.Max().Should().Be(48, string.Join(",", lengths));
        lengths.Count(n => n < 48).Should().BeLessThanOrEqualTo(2, string.Join(",", lengths));
        StillServes();
    }

    private const string MssScript = """
        import socket, struct, sys, time
        syn = bytes.fromhex(sys.argv[1]); ours = bytes.fromhex(sys.argv[2].replace(':', '')); kern = bytes.fromhex(sys.argv[3].replace(':', ''))
        src = socket.inet_aton(sys.argv[4]); dst = socket.inet_aton(sys.argv[5])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)); s.bind(('tap0', 0)); s.settimeout(5)
        def csum(b):
            if len(b) % 2: b += b'\0'
            t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
            return (~t) & 0xffff
        def seg(seq, ack, flags, data=b''):
            tcp = struct.pack('!HHIIBBHHH', 40008, 80, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
            c = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
            tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 7, 0, 64, 6, 0, src, dst)
            ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
            s.send(ours + kern + b'\x08\x00' + ip + tcp)
        def recv():
            while True:
                f = s.recv(65535)
                if f[6:12] != ours or f[23] != 6: continue
                ihl = (f[14] & 15) * 4; t = f[14 + ihl:]
                if struct.unpack('!H', t[2:4])[0] != 40008: continue
                total = struct.unpack('!H', f[16:18])[0]
                return struct.unpack('!I', t[4:8])[0], t[13], f[14 + ihl + (t[12] >> 4) * 4: 14 + total]
        s.send(syn)
        isn, flags, _ = recv()
        assert flags & 0x12 == 0x12, flags
        req = b'GET / HTTP/1.0\r\n\r\n'
        seg(1001, isn + 1, 0x18, req)
        got = 0
        while True:
            seq, flags, data = recv()
            if data: print(len(data)); got = max(got, seq + len(data) - isn - 1)
            seg(1001 + len(req), isn + 1 + got + (1 if flags & 1 else 0), 0x10)
            if flags & 1: break
        """;

    [Test, Order(5)]
    public void Afterwards_the_counters_name_every_refused_frame_and_the_recording_has_no_answer_to_them()
    {
        Live!.Stop(Duration.FromSeconds(10)).Should().Be(0, Live.Error);
        var drops = Live.Error.Split('\n').Last(l => l.StartsWith("drops: ")).Trim();
        int invalid = InvalidSources.Length * 3;
        Count(drops, "fragment-datagram-too-large").Should().Be(4, drops);
        Count(drops, "ipv4-invalid-source").Should().BeGreaterThanOrEqualTo(invalid, drops);
        Count(drops, "arp-invalid-sender-mac").Should().Be(3, drops);
        drops.Should().NotContain("frame-handler-fault");
        drops.Should().NotContain("tcp-", "the MSS-8 connection was served, not refused");

        // Nothing we sent went to an address no host can have, nor to Ethernet broadcast other than ARP.
        var r = CommandRunner.Run("tshark", ["-r", Path.Combine(WorkDir, "live.pcap"),
            "-Y", $"eth.src == {_ourMac} && ip && (ip.dst != {KernelIp} || eth.dst == ff:ff:ff:ff:ff:ff)"], Duration.FromSeconds(60));
        r.ExitCode.Should().Be(0, r.ToString());
        r.Output.Trim().Should().BeEmpty("no echo reply, port unreachable, SYN-ACK or RST answers an invalid source");
    }

    private static int Count(string drops, string reason)
    {
        foreach (var word in drops.Split(' '))
            if (word.StartsWith(reason + "=", StringComparison.Ordinal)) return int.Parse(word[(reason.Length + 1)..]);
        return 0;
    }

    private byte[] Ethernet(MacAddress destination, ushort etherType, byte[] payload)
    {
        var f = new byte[14 + payload.Length];
        destination.Write(f);
        _kernelMac.Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), etherType);
        payload.CopyTo(f, 14);
        return f;
    }

    private byte[] ArpReply(MacAddress senderMac)
    {
        var a = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(2), 0x0800);
        a[4] = 6;
        a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(6), 2);
        senderMac.Write(a.AsSpan(8));
        Ipv4Address.Parse(KernelIp).Write(a.AsSpan(14));
        _ourMac.Write(a.AsSpan(18));
        Ipv4Address.Parse(OurIp).Write(a.AsSpan(24));
        return Ethernet(_ourMac, 0x0806, a);
    }

    private byte[] Ip(string source, IpProtocol protocol, byte[] payload, int optionBytes = 0, ushort id = 1, int fragment = 0)
    {
        int ihl = 20 + optionBytes;
        var ip = new byte[ihl + payload.Length];
        ip[0] = (byte)(0x40 | ihl / 4);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), (ushort)fragment);
        ip[8] = 64;
        ip[9] = (byte)protocol;
        Ipv4Address.Parse(source).Write(ip.AsSpan(12));
        Ipv4Address.Parse(OurIp).Write(ip.AsSpan(16));
        ip.AsSpan(20, optionBytes).Fill(1); // NOP
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum.Compute(ip.AsSpan(0, ihl)));
        payload.CopyTo(ip, ihl);
        return Ethernet(_ourMac, 0x0800, ip);
    }

    private List<byte[]> Fragments(string source, IpProtocol protocol, byte[] message, int optionBytes, ushort id)
    {
        const int chunk = 1440; // a multiple of 8 that fits the MTU behind 60 bytes of header
        var frames = new List<byte[]>();
        for (int offset = 0; offset < message.Length; offset += chunk)
        {
            int length = Math.Min(chunk, message.Length - offset);
            bool more = offset + length < message.Length;
            frames.Add(Ip(source, protocol, message.AsSpan(offset, length).ToArray(), offset == 0 ? optionBytes : 0, id,
                (more ? 0x2000 : 0) | offset / 8));
        }
        return frames;
    }

    private static byte[] Icmp(byte type, byte[] data)
    {
        var m = new byte[8 + data.Length];
        m[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(6), 1);
        data.CopyTo(m, 8);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), Checksum.Compute(m));
        return m;
    }

    private static byte[] Udp(string source, ushort sourcePort, ushort port, byte[] data)
    {
        var u = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(u, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), port);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        data.CopyTo(u, 8);
        ushort sum = Checksum.Fold(Checksum.Accumulate(
            Checksum.PseudoHeader(Ipv4Address.Parse(source), Ipv4Address.Parse(OurIp), (byte)IpProtocol.Udp, u.Length), u));
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(6), sum == 0 ? (ushort)0xFFFF : sum);
        return u;
    }

    private static byte[] Syn(string source, ushort sourcePort, ushort port, ushort mss)
    {
        var t = new byte[24];
        BinaryPrimitives.WriteUInt16BigEndian(t, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), port);
        BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(4), 1000);
        t[12] = 6 << 4;
        t[13] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(14), 8192);
        t[20] = 2;
        t[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(22), mss);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(16), Checksum.Fold(Checksum.Accumulate(
            Checksum.PseudoHeader(Ipv4Address.Parse(source), Ipv4Address.Parse(OurIp), (byte)IpProtocol.Tcp, t.Length), t)));
        return t;
    }
}
