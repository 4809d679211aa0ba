using System.Globalization;
using Netstack.Harness.Scenarios;
using Netstack.Time;

namespace Netstack.Harness.Packetdrill;

/// <summary>What parsing a script gave: the script when there were no errors, and every error found (a script
/// with errors still yields all the lines that did parse, so one run can report several mistakes).</summary>
public sealed record PacketdrillParseResult(PacketdrillScript Script, IReadOnlyList<PacketdrillDiagnostic> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>Recursive-descent parser for packetdrill scripts, following the grammar of google/packetdrill's
/// parser.y (its bison grammar is whitespace-insensitive; this parser additionally expects one event per line so an
/// error can be reported and the next line parsed). Every error is a located diagnostic, never an exception.</summary>
public sealed class PacketdrillParser
{
    /// <summary>After this many errors in one file the rest is not parsed: later ones are mostly consequences.</summary>
    public const int MaxErrorsPerFile = 20;

    private static readonly HashSet<string> KnownOptions =
    [
        "ip_version", "bind_port", "connect_port", "local_ip", "remote_ip", "gateway_ip", "netmask_ip", "local_linklocal_ip",
        "mss", "mtu", "speed", "init_scripts", "tolerance_usecs", "tolerance_percent", "wire_client", "wire_server",
        "wire_server_ip", "wire_server_at", "wire_server_port", "wire_client_dev", "wire_server_dev", "so_filename",
        "so_flags", "tcp_ts_ecr_scaled", "tcp_ts_tick_usecs", "strict_segments", "non_fatal", "dry_run", "is_anyip",
        "send_omit_free", "psp_udp_port", "debug", "define", "verbose", "code_command", "code_format", "code_sockopt",
        "persistent_tun_dev", "gateway_linklocal_ip", "tcp_md5_secret", "udp_encapsulation", "tun_dev", "no_cleanup",
    ];

    /// <summary>Whether packetdrill itself defines the flag <c>--<paramref name="name"/></c>.</summary>
    public static bool IsKnownOption(string name) => KnownOptions.Contains(name);

    private static readonly HashSet<string> EncapsulationWords = ["ipv4", "ipv6", "gre", "GREv0", "mpls", "encap"];

    private readonly string _file;
    private readonly string _source;
    private readonly List<Token> _tokens;
    private readonly List<PacketdrillDiagnostic> _errors;

    /// <summary>A segment alone (a YAML <c>tcp:</c> value): <c>ack *</c> and <c>win *</c> are allowed there, meaning
    /// the same as leaving them out (any).</summary>
    private bool _segmentAlone;
    private int _index;

    private PacketdrillParser(string file, string source, List<Token> tokens, List<PacketdrillDiagnostic> errors)
    {
        _file = file;
        _source = source;
        _tokens = tokens;
        _errors = errors;
    }

    public static PacketdrillParseResult ParseFile(string path, IReadOnlySet<string>? defines = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var location = new SourceLocation(path, 1, 1);
            return new PacketdrillParseResult(new PacketdrillScript(path, [], null, [], null),
                [new PacketdrillDiagnostic(location, $"cannot read the script: {e.Message}")]);
        }
        return Parse(path, text, defines);
    }

    /// <summary>Parses a whole script. <paramref name="defines"/> are the names <c>#ifdef</c> tests (none by default).</summary>
    public static PacketdrillParseResult Parse(string file, string source, IReadOnlySet<string>? defines = null)
    {
        var errors = new List<PacketdrillDiagnostic>();
        source = PacketdrillPreprocessor.Apply(file, source, defines ?? new HashSet<string>(), errors);
        var tokens = PacketdrillLexer.Tokenize(file, source, errors);
        var parser = new PacketdrillParser(file, source, tokens, errors);
        var script = parser.ParseScript();
        return new PacketdrillParseResult(script, errors);
    }

    /// <summary>Parses one segment in wire notation (<c>P. 1:4(3) ack 1 win 8192</c>) and nothing else.
    /// <paramref name="origin"/> is where the text starts (a YAML value), so errors point into it.</summary>
    internal static TcpSegmentSpec? ParseSegment(string text, SourceLocation origin, List<PacketdrillDiagnostic> errors)
    {
        var lexical = new List<PacketdrillDiagnostic>();
        var tokens = PacketdrillLexer.Tokenize(origin.File, text, lexical)
            .Select(t => t with { Location = Shift(t.Location, origin) }).ToList();
        if (lexical.Count > 0)
        {
            errors.AddRange(lexical.Select(d => d with { Location = Shift(d.Location, origin) }));
            return null;
        }
        var parser = new PacketdrillParser(origin.File, text, tokens, errors) { _segmentAlone = true };
        try
        {
            var segment = parser.TcpSegment(allowOptionsOnNextLine: true);
            if (parser.Current.Kind != TokenKind.EndOfFile)
                throw new ParseError(parser.Current.Location, $"unexpected {parser.Current.Describe()} after the segment");
            return segment;
        }
        catch (ParseError e)
        {
            errors.Add(new PacketdrillDiagnostic(e.Location, e.Message));
            return null;
        }
    }

    private static SourceLocation Shift(SourceLocation inner, SourceLocation origin) =>
        inner.Line == 1 ? origin with { Column = origin.Column + inner.Column - 1 }
                        : origin with { Line = origin.Line + inner.Line - 1, Column = inner.Column };

    // ---- tokens -------------------------------------------------------------------------------------------

    private Token Current => _tokens[_index];
    private Token PeekToken(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private Token Advance()
    {
        var token = Current;
        if (_index < _tokens.Count - 1) _index++;
        return token;
    }

    private bool AtLineEnd => Current.FirstOnLine || Current.Kind == TokenKind.EndOfFile;

    private Token Expect(char punct, string context)
    {
        if (!Current.Is(punct)) throw Error($"expected '{punct}' {context}, found {Found}");
        return Advance();
    }

    private Token ExpectWord(string context)
    {
        if (Current.Kind != TokenKind.Word) throw Error($"expected {context}, found {Found}");
        return Advance();
    }

    /// <summary>An error at the current token; when that token already starts the next line, the error is placed
    /// just after the last token of this line instead, where the missing piece belongs.</summary>
    private ParseError Error(string message) => new(Where, message);

    private SourceLocation Where
    {
        get
        {
            if (!Current.FirstOnLine || _index == 0) return Current.Location;
            var previous = _tokens[_index - 1];
            bool singleLine = _source.IndexOf('\n', previous.Offset, previous.Length) < 0;
            return singleLine ? previous.Location with { Column = previous.Location.Column + previous.Length } : Current.Location;
        }
    }

    /// <summary>What stands where something else was expected, for messages: the token, or "end of line".</summary>
    private string Found => Current.FirstOnLine && _index > 0 ? "end of line" : Current.Describe();

    private sealed class ParseError(SourceLocation location, string message) : Exception(message)
    {
        public SourceLocation Location { get; } = location;
    }

    // ---- script -------------------------------------------------------------------------------------------

    private PacketdrillScript ParseScript()
    {
        var options = new List<HeaderOption>();
        var events = new List<ScriptEvent>();
        ShellCommand? init = null, trailing = null;

        while (Current.Kind != TokenKind.EndOfFile && _errors.Count < MaxErrorsPerFile)
        {
            int start = _index;
            try
            {
                var token = Current;
                if (token.Kind == TokenKind.HeaderOption)
                {
                    Advance();
                    if (events.Count > 0 || init is not null)
                        throw new ParseError(token.Location, $"option --{token.Text} must come before the first event");
                    options.Add(new HeaderOption(token.Text, token.Value, KnownOptions.Contains(token.Text), token.Location));
                    continue;
                }
                if (token.Kind == TokenKind.BackQuoted)
                {
                    // Untimed commands: packetdrill's init command (first) and cleanup command (last).
                    Advance();
                    var command = new ShellCommand(token.Text, token.Location);
                    if (trailing is not null) ReportMisplacedCommand(trailing);
                    if (events.Count == 0 && init is null) init = command;
                    else trailing = command;
                    ExpectLineEnd("the shell command");
                    continue;
                }
                if (trailing is not null)
                {
                    ReportMisplacedCommand(trailing);
                    trailing = null;
                }
                events.Add(Event());
            }
            catch (ParseError e)
            {
                // One error per place: an unterminated comment or block already reported here ends the file early.
                if (!_errors.Any(x => x.Location == e.Location)) _errors.Add(new PacketdrillDiagnostic(e.Location, e.Message));
                if (_index == start) Advance();
                while (!AtLineEnd) Advance();
            }
        }
        return new PacketdrillScript(_file, options, init, events, trailing);
    }

    private void ReportMisplacedCommand(ShellCommand command) =>
        _errors.Add(new PacketdrillDiagnostic(command.Location,
            "a shell command without a time may only be the first or the last line; write a time before it (e.g. +0 `...`)"));

    private void ExpectLineEnd(string what)
    {
        if (!AtLineEnd) throw Error($"unexpected {Current.Describe()} after {what}; one event per line");
    }

    private ScriptEvent Event()
    {
        var time = EventTime();
        var action = Action();
        ExpectLineEnd(action switch
        {
            PacketLine => "the packet",
            SyscallLine s => $"{s.Name}(...)",
            _ => "the event",
        });
        return new ScriptEvent(time, action);
    }

    private EventTime EventTime()
    {
        var location = Current.Location;
        if (Current.Is('*'))
        {
            Advance();
            return new EventTime(EventTimeKind.Any, 0, null, location);
        }
        bool relative = Current.Is('+');
        if (relative) Advance();
        else if (Current.Kind is not (TokenKind.Integer or TokenKind.Float))
            throw new ParseError(Current.Location, $"expected a time (0.100, +0.1, * or 0.1~0.2) to start an event, found {Current.Describe()}");
        long start = Seconds("a time");
        if (!Current.Is('~'))
            return new EventTime(relative ? EventTimeKind.Relative : EventTimeKind.Absolute, start, null, location);
        Advance();
        bool relativeEnd = Current.Is('+');
        if (relative != relativeEnd)
            throw Error("a time range is either absolute (0.1~0.2) or relative on both ends (+0.1~+0.2)");
        if (relativeEnd) Advance();
        long end = Seconds("the end of the time range");
        return new EventTime(relative ? EventTimeKind.RelativeRange : EventTimeKind.AbsoluteRange, start, end, location);
    }

    /// <summary>A time in seconds (<c>0.1</c>, <c>2</c>, <c>.005</c>) as microseconds, read in decimal so
    /// 0.1 s is exactly 100000 µs.</summary>
    private long Seconds(string what)
    {
        var token = Current;
        if (token.Kind is not (TokenKind.Integer or TokenKind.Float))
            throw Error($"expected {what} in seconds, found {Found}");
        if (token.Text.StartsWith('-')) throw Error($"{what} must not be negative");
        if (!decimal.TryParse(token.Text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) ||
            seconds > 1_000_000_000m)
            throw Error($"{what} '{token.Text}' is out of range");
        Advance();
        return (long)decimal.Round(seconds * (Duration.NanosecondsPerSecond / Duration.NanosecondsPerMicrosecond));
    }

    private EventAction Action()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Punct when token.Is('<') || token.Is('>'):
                return Packet();
            case TokenKind.BackQuoted:
                Advance();
                return new ShellCommand(token.Text, token.Location);
            case TokenKind.Code:
                Advance();
                return new PythonBlock(token.Text, token.Location);
            case TokenKind.Ellipsis:
            case TokenKind.Word when PeekToken(1).Is('('):
                return Syscall();
            case TokenKind.Word:
                throw Error($"expected '(' after the system call name '{token.Text}'");
            default:
                throw Error($"expected a packet (< or >), a system call, a `shell command` or a %{{ }}% block after the time, found {Found}");
        }
    }

    // ---- packets ------------------------------------------------------------------------------------------

    private PacketLine Packet()
    {
        var location = Current.Location;
        var direction = Advance().Is('<') ? PacketDirection.Inbound : PacketDirection.Outbound;
        var ip = Current.Is('[') || Current.Is('(') ? IpModifiers() : null;
        if (Current.Kind == TokenKind.Word && EncapsulationWords.Contains(Current.Text))
            throw Error($"encapsulated packets ('{Current.Text}' before the segment) are not supported");
        if (Current.IsWord("udp"))
        {
            Advance();
            var udpPorts = Ports();
            Expect('(', "before the UDP payload length, as in udp (1000)");
            int length = Integer(0, 65507, "UDP payload length");
            Expect(')', "after the UDP payload length");
            return new UdpPacketLine(direction, ip, udpPorts, length, location);
        }
        if (Current.IsWord("icmp")) return Icmp(direction, ip, location);
        var ports = Ports();
        var segment = TcpSegment(allowOptionsOnNextLine: false);
        return new TcpPacketLine(direction, ip, ports, segment, UdpEncapsulation(), location);
    }

    /// <summary>nplab's TCP over UDP (RFC 6951-style encapsulation): <c>/udp(1 &gt; 9811)</c> after a segment.</summary>
    private PortPair? UdpEncapsulation()
    {
        if (!Current.Is('/') || Current.FirstOnLine) return null;
        Advance();
        if (!Current.IsWord("udp")) throw Error($"expected 'udp(source > destination)' after '/', found {Found}");
        Advance();
        Expect('(', "after /udp");
        int source = Integer(0, 65535, "UDP source port");
        Expect('>', "between the UDP ports");
        int destination = Integer(0, 65535, "UDP destination port");
        Expect(')', "after the UDP ports");
        return new PortPair(source, destination);
    }

    private PortPair? Ports()
    {
        if (Current.Kind != TokenKind.Integer || !PeekToken(1).Is('>')) return null;
        int source = Integer(0, 65535, "source port");
        Advance();
        int destination = Integer(0, 65535, "destination port");
        return new PortPair(source, destination);
    }

    /// <summary><c>[ect0]</c> (google) or <c>(tos 0x20)</c>, <c>(hlim 3)</c>, <c>(class 0x28)</c> (nplab; hlim is
    /// IPv6's TTL and class its TOS).</summary>
    private IpModifiers IpModifiers()
    {
        var open = Advance();
        char close = open.Is('[') ? ']' : ')';
        string? ecn = null;
        int? tos = null, ttl = null, flowLabel = null;
        while (true)
        {
            var word = ExpectWord("an IP field (noecn, ect0, ect1, ect01, ce, tos N, ttl N, hlim N, class N or flowlabel N)");
            switch (word.Text)
            {
                case "noecn" or "ect0" or "ect1" or "ect01" or "ce": ecn = word.Text; break;
                case "tos": tos = Integer(0, 255, "TOS byte"); break;
                case "ttl" or "hlim": ttl = Integer(0, 255, word.Text == "ttl" ? "TTL" : "hop limit"); break;
                case "class": tos = Integer(0, 255, "traffic class"); break;
                case "flowlabel": flowLabel = Integer(0, 0xFFFFF, "flow label"); break;
                default:
                    throw new ParseError(word.Location,
                        $"unknown IP field '{word.Text}'; expected noecn, ect0, ect1, ect01, ce, tos N, ttl N, hlim N, class N or flowlabel N");
            }
            if (Current.Is(close)) break;
            Expect(',', "between IP fields");
        }
        Advance();
        return new IpModifiers(ecn, tos, ttl, flowLabel) { Location = open.Location };
    }

    private IcmpPacketLine Icmp(PacketDirection direction, IpModifiers? ip, SourceLocation location)
    {
        Advance();
        string type = ExpectWord("an ICMP type (echo_request, echo_reply, unreachable, time_exceeded, ...)").Text;
        string? code = null;
        if (Current.Kind == TokenKind.Word && Current.Text is not ("mtu" or "id")) code = Advance().Text;
        int? mtu = null, id = null;
        if (Current.IsWord("mtu"))
        {
            Advance();
            mtu = Integer(0, 65535, "MTU");
        }
        if (Current.IsWord("id"))
        {
            Advance();
            id = Integer(0, 65535, "echo id");
        }
        IcmpQuotedPacket? quoted = null;
        if (Current.Is('['))
        {
            var open = Advance();
            if (Current.IsWord("udp") || Current.IsWord("raw"))
            {
                var protocol = Advance().Text == "udp" ? QuotedProtocol.Udp : QuotedProtocol.Raw;
                Expect('(', $"before the quoted {protocol.ToString().ToLowerInvariant()} payload length");
                int length = Integer(0, 65535, "quoted payload length");
                Expect(')', "after the quoted payload length");
                quoted = new IcmpQuotedPacket(protocol, 0, 0, length, open.Location);
            }
            else
            {
                var (start, end, length) = SequenceRange("the quoted TCP segment");
                quoted = new IcmpQuotedPacket(QuotedProtocol.Tcp, start, end, length, open.Location, UdpEncapsulation());
            }
            Expect(']', "after the quoted packet");
        }
        return new IcmpPacketLine(direction, ip, type, code, mtu, id, quoted, location);
    }

    private TcpSegmentSpec TcpSegment(bool allowOptionsOnNextLine)
    {
        var location = Current.Location;
        var flags = Flags();
        var (start, end, length) = SequenceRange("the segment");
        bool absolute = Current.Is('!');
        if (absolute) Advance();
        uint? ack = null;
        int? window = null, urgent = null;
        while (Current.Kind == TokenKind.Word && Current.Text is "ack" or "win" or "urg")
        {
            var keyword = Advance();
            if (_segmentAlone && keyword.Text is "ack" or "win" && Current.Is('*'))
            {
                Advance();
                continue;
            }
            if (keyword.Text == "ack")
            {
                if (ack is not null) throw new ParseError(keyword.Location, "'ack' is written twice");
                ack = SequenceNumber("acknowledgment number");
            }
            else if (keyword.Text == "win")
            {
                if (window is not null) throw new ParseError(keyword.Location, "'win' is written twice");
                window = Integer(0, 65535, "window");
            }
            else
            {
                if (urgent is not null) throw new ParseError(keyword.Location, "'urg' is written twice");
                urgent = Integer(0, 65535, "urgent pointer");
            }
        }
        var options = Current.Is('<') && (allowOptionsOnNextLine || !Current.FirstOnLine) ? OptionList() : TcpOptionList.Absent;
        return new TcpSegmentSpec(flags, start, end, length, ack, window, urgent, options, location, absolute);
    }

    private TcpFlagSet Flags()
    {
        var token = Current;
        string text;
        if (token.Is('.') || token.Is('-'))
        {
            Advance();
            text = token.Text;
        }
        else if (token.Kind == TokenKind.Word)
        {
            Advance();
            text = token.Text;
            // packetdrill's grammar is "WORD opt_ack_flag", whitespace between them allowed ("F  ." in the wild).
            if (Current.Is('.')) text += Advance().Text;
        }
        else throw Error($"expected TCP flags (S, S., ., P., F., R., ...), udp or icmp, found {Found}");
        return TcpFlagSet.TryParse(text, out char bad)
            ?? throw new ParseError(token.Location, $"'{bad}' in '{text}' is not a TCP flag; flags are F S R P U E W, '.' for ACK, '-' for none");
    }

    private (uint Start, uint End, int Length) SequenceRange(string what)
    {
        if (Current.Kind != TokenKind.Integer)
            throw Error($"expected the sequence numbers of {what} as start:end(length), e.g. 1:101(100), found {Found}");
        var location = Current.Location;
        uint start = SequenceNumber("start sequence number");
        Expect(':', "between the start and end sequence numbers (start:end(length))");
        uint end = SequenceNumber("end sequence number");
        Expect('(', "before the payload length (start:end(length))");
        int length = Integer(0, int.MaxValue, "payload length");
        Expect(')', "after the payload length");
        if (unchecked(end - start) != (uint)length)
            throw new ParseError(location, $"payload length {length} does not match {start}:{end} (end - start = {unchecked(end - start)})");
        return (start, end, length);
    }

    private uint SequenceNumber(string what) => (uint)IntegerValue(0, uint.MaxValue, what);

    private int Integer(int min, int max, string what) => (int)IntegerValue(min, max, what);

    private long IntegerValue(long min, long max, string what)
    {
        var token = Current;
        long value;
        if (token.Kind == TokenKind.Integer && long.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) { }
        else if (token.Kind == TokenKind.HexInteger && long.TryParse(token.Text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)) { }
        else if (token.Kind is TokenKind.Integer or TokenKind.HexInteger) throw Error($"{what} '{token.Text}' is out of range");
        else throw Error($"expected {what} (a number), found {Found}");
        if (value < min || value > max) throw Error($"{what} {token.Text} is out of range ({min}..{max})");
        Advance();
        return value;
    }

    private TcpOptionList OptionList()
    {
        Expect('<', "");
        if (Current.Kind == TokenKind.Ellipsis && PeekToken(1).Is('>'))
        {
            Advance();
            Advance();
            return TcpOptionList.Any;
        }
        var items = new List<TcpOptionSpec>();
        while (true)
        {
            items.Add(TcpOption());
            if (Current.Is('>')) break;
            Expect(',', "between TCP options (or '>' to end the list)");
        }
        Advance();
        return new TcpOptionList(false, true, items);
    }

    private TcpOptionSpec TcpOption()
    {
        var location = Current.Location;
        return TcpOptionValue() with { Location = location };
    }

    private TcpOptionSpec TcpOptionValue()
    {
        var token = Current;
        if (token.Kind == TokenKind.Ellipsis)
        {
            Advance();
            return new AnyOptionsWildcard();
        }
        if (token.Kind != TokenKind.Word) throw Error($"expected a TCP option, found {Found}");
        Advance();
        switch (token.Text)
        {
            case "nop": return new NopOption();
            case "eol": return new EolOption();
            case "sackOK": return new SackPermittedOption();
            case "mss": return new MssOption(Integer(0, 65535, "MSS"));
            case "wscale": return new WindowScaleOption(Integer(0, 255, "window scale shift"));
            case "sack":
                var blocks = new List<SackBlockSpec>();
                while (Current.Kind == TokenKind.Integer)
                {
                    uint left = SequenceNumber("SACK block left edge");
                    Expect(':', "between the edges of a SACK block (left:right)");
                    blocks.Add(new SackBlockSpec(left, SequenceNumber("SACK block right edge")));
                }
                return new SackOption(blocks);
            case "TS":
                if (!Current.IsWord("val")) throw Error($"expected 'val' after TS (TS val N ecr N), found {Found}");
                Advance();
                uint? value = TimestampValue("TS val", out _);
                if (!Current.IsWord("ecr")) throw Error($"expected 'ecr' after the TS value (TS val N ecr N), found {Found}");
                Advance();
                uint? echo = TimestampValue("TS ecr", out bool echoAbsolute);
                return new TimestampOption(value, echo, echoAbsolute);
            case "md5":
                if (Current.Kind is not (TokenKind.Word or TokenKind.Integer or TokenKind.HexInteger))
                    throw Error($"expected the MD5 digest after md5, found {Found}");
                return new Md5Option(Advance().Text);
            case "FO" or "FOEXP":
                string cookie = Current.Kind is TokenKind.Word or TokenKind.Integer or TokenKind.HexInteger ? Advance().Text : "";
                return new FastOpenOption(cookie, token.Text == "FOEXP");
            case "ECN":
                int startOffset = token.Offset, endOffset = token.End;
                while (Current.Kind is TokenKind.Word or TokenKind.Integer) endOffset = Advance().End;
                return new AccEcnOption(_source[startOffset..endOffset]);
            default:
                throw new ParseError(token.Location,
                    $"unknown TCP option '{token.Text}'; expected nop, eol, mss N, wscale N, sackOK, sack L:R ..., TS val N ecr N, md5, FO, FOEXP, ECN or ...");
        }
    }

    /// <summary>A number, or <c>*</c> / <c>...</c> for any (null); <c>N!</c> (nplab) marks an echo that is not
    /// relative to the peer's first timestamp.</summary>
    private uint? TimestampValue(string what, out bool absolute)
    {
        absolute = false;
        if (Current.Is('*') || Current.Kind == TokenKind.Ellipsis)
        {
            Advance();
            return null;
        }
        uint value = SequenceNumber(what);
        if (Current.Is('!'))
        {
            Advance();
            absolute = true;
        }
        return value;
    }

    // ---- system calls -------------------------------------------------------------------------------------

    private SyscallLine Syscall()
    {
        long? endMicros = null;
        if (Current.Kind == TokenKind.Ellipsis)
        {
            Advance();
            endMicros = Seconds("the end time of a blocking call (...0.010 read(...))");
        }
        var name = ExpectWord("a system call name");
        Expect('(', $"after {name.Text}");
        var arguments = ExpressionList(')', $"between the arguments of {name.Text}(...) (or ')' to end them)");
        if (!Current.Is('='))
            throw Error($"expected '= value' after {name.Text}(...): every system call states what it returns, found {Found}");
        Advance();
        var result = Expression();
        string? errno = null, note = null;
        if (!AtLineEnd && Current.Kind == TokenKind.Word) errno = Advance().Text;
        if (!AtLineEnd && Current.Is('(')) note = Note();
        return new SyscallLine(name.Text, arguments, result, errno, note, endMicros, name.Location);
    }

    /// <summary>The parenthesised text after a result (<c>(Operation now in progress)</c>), exactly as written.</summary>
    private string Note()
    {
        var open = Advance();
        int depth = 1;
        while (Current.Kind != TokenKind.EndOfFile)
        {
            if (Current.Is('(')) depth++;
            else if (Current.Is(')') && --depth == 0)
            {
                var close = Advance();
                return _source[open.End..close.Offset].Trim();
            }
            Advance();
        }
        throw new ParseError(open.Location, "unterminated note: no ')' closes the '(' after the result");
    }

    /// <summary>Expressions separated by commas up to <paramref name="close"/>, which is consumed (the opening one
    /// was); <paramref name="between"/> names what a comma was expected between.</summary>
    private List<Expr> ExpressionList(char close, string between)
    {
        var items = new List<Expr>();
        if (!Current.Is(close))
        {
            while (true)
            {
                items.Add(Expression());
                if (Current.Is(close)) break;
                Expect(',', between);
            }
        }
        Advance();
        return items;
    }

    private Expr Expression()
    {
        var location = Current.Location;
        var first = Primary();
        if (Current.Is('|'))
        {
            var terms = new List<Expr> { first };
            while (Current.Is('|'))
            {
                Advance();
                terms.Add(Primary());
            }
            return new BitOrExpr(terms, location);
        }
        if (Current.Is('=') && first is WordExpr or CallExpr)
        {
            Advance();
            return new FieldExpr(first, Expression(), location);
        }
        return first;
    }

    private Expr Primary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Ellipsis:
                Advance();
                return new EllipsisExpr(token.Location);
            case TokenKind.Integer or TokenKind.HexInteger:
                return new IntegerExpr(IntegerValue(long.MinValue, long.MaxValue, "integer"), token.Kind == TokenKind.HexInteger, token.Location);
            case TokenKind.String:
                var text = new System.Text.StringBuilder();
                while (Current.Kind == TokenKind.String) text.Append(Advance().Text);
                bool prefix = Current.Kind == TokenKind.Ellipsis;
                if (prefix) Advance();
                return new StringExpr(text.ToString(), prefix, token.Location);
            case TokenKind.Word:
                Advance();
                if (!Current.Is('(')) return new WordExpr(token.Text, token.Location);
                Advance();
                return new CallExpr(token.Text, ExpressionList(')', $"between the arguments of {token.Text}(...)"), token.Location);
            case TokenKind.Punct when token.Is('[') || token.Is('{'):
                Advance();
                char close = token.Is('[') ? ']' : '}';
                var items = ExpressionList(close, $"between the items of {token.Text}...{close} (or '{close}' to end them)");
                return token.Is('[') ? new ArrayExpr(items, token.Location) : new StructExpr(items, token.Location);
            default:
                throw Error($"expected a value (a number, a symbol, \"string\", [...], {{...}} or ...), found {Found}");
        }
    }
}
