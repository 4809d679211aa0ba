using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

/// <summary>Splits a packetdrill script into tokens the way packetdrill's flex lexer does (longest match; newlines
/// are whitespace, comments vanish), but records each token's file:line:col and whether it opens its line, and
/// reports unterminated comments, strings and code blocks as located diagnostics instead of failing.</summary>
public sealed class PacketdrillLexer
{
    private readonly string _source;
    private readonly string _file;
    private readonly List<PacketdrillDiagnostic> _diagnostics;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private int _lastTokenLine;

    private PacketdrillLexer(string file, string source, List<PacketdrillDiagnostic> diagnostics)
    {
        _file = file;
        _source = source;
        _diagnostics = diagnostics;
    }

    public static List<Token> Tokenize(string file, string source, List<PacketdrillDiagnostic> diagnostics)
    {
        var lexer = new PacketdrillLexer(file, source, diagnostics);
        var tokens = new List<Token>();
        while (true)
        {
            var token = lexer.Next();
            tokens.Add(token);
            if (token.Kind == TokenKind.EndOfFile) return tokens;
        }
    }

    private SourceLocation Here(int offset) => new(_file, _line, offset - _lineStart + 1);

    private char Peek(int ahead = 0) => _pos + ahead < _source.Length ? _source[_pos + ahead] : '\0';

    /// <summary>Moves past [_pos, end), keeping the line count right across newlines.</summary>
    private void AdvanceTo(int end)
    {
        for (; _pos < end; _pos++)
        {
            if (_source[_pos] == '\n')
            {
                _line++;
                _lineStart = _pos + 1;
            }
        }
    }

    private Token Next()
    {
        SkipTrivia();
        int start = _pos;
        var location = Here(start);
        bool first = _line != _lastTokenLine;
        _lastTokenLine = _line;
        if (_pos >= _source.Length) return new Token(TokenKind.EndOfFile, "", location, start, 0, true);

        Token Make(TokenKind kind, string text, int end, string? value = null)
        {
            AdvanceTo(end);
            // A token spanning lines (a multi-line `command` or %{ }%) ends on a later line: what follows it there
            // does not start a line.
            _lastTokenLine = _line;
            return new Token(kind, text, location, start, end - start, first, value);
        }

        char c = Peek();
        if (c == '%' && Peek(1) == '{')
        {
            int close = _source.IndexOf("}%", start + 2, StringComparison.Ordinal);
            if (close < 0) return Unterminated(location, "%{ code block", "}%", first);
            return Make(TokenKind.Code, _source[(start + 2)..close].Trim(), close + 2);
        }
        if (c == '`' || c == '"')
        {
            int end = ScanQuoted(start, c);
            if (end < 0) return Unterminated(location, c == '`' ? "shell command" : "string", c.ToString(), first);
            return Make(c == '`' ? TokenKind.BackQuoted : TokenKind.String, Unescape(_source[(start + 1)..(end - 1)]), end);
        }
        if (c == '-' && Peek(1) == '-' && IsWordChar(Peek(2)))
        {
            int end = start + 2;
            while (end < _source.Length && IsWordChar(_source[end])) end++;
            string name = _source[(start + 2)..end];
            string? value = null;
            if (end < _source.Length && _source[end] == '=')
            {
                int valueStart = end + 1;
                if (valueStart < _source.Length && _source[valueStart] == '"')
                {
                    int close = ScanQuoted(valueStart, '"');
                    if (close < 0) return Unterminated(location, "string", "\"", first);
                    value = Unescape(_source[(valueStart + 1)..(close - 1)]);
                    end = close;
                }
                else
                {
                    end = valueStart;
                    while (end < _source.Length && !char.IsWhiteSpace(_source[end])) end++;
                    value = _source[valueStart..end];
                }
            }
            return Make(TokenKind.HeaderOption, name, end, value);
        }
        if (c == '.' && Peek(1) == '.' && Peek(2) == '.') return Make(TokenKind.Ellipsis, "...", start + 3);
        bool negative = c == '-' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) == '.' && char.IsAsciiDigit(Peek(2))));
        if (char.IsAsciiDigit(c) || negative || (c == '.' && char.IsAsciiDigit(Peek(1))))
            return ScanNumberOrWord(start, negative, Make);
        if (IsWordChar(c))
        {
            int end = start;
            while (end < _source.Length && IsWordChar(_source[end])) end++;
            return Make(TokenKind.Word, _source[start..end], end);
        }
        return Make(TokenKind.Punct, c.ToString(), start + 1);
    }

    private Token ScanNumberOrWord(int start, bool negative, Func<TokenKind, string, int, string?, Token> make)
    {
        int digits = negative ? start + 1 : start;
        int end = digits;
        while (end < _source.Length && IsWordChar(_source[end])) end++;
        string run = _source[digits..end];
        if (run.Length == 0)
        {
            // ".5" or "-.5": a fraction with no integer part.
            end = FractionEnd(end);
            return make(TokenKind.Float, _source[start..end], end, null);
        }
        if (!negative && run.Length > 2 && run[0] == '0' && (run[1] == 'x' || run[1] == 'X') && run[2..].All(char.IsAsciiHexDigit))
            return make(TokenKind.HexInteger, run, end, null);
        if (!run.All(char.IsAsciiDigit))
            return make(TokenKind.Word, _source[start..end], end, null);
        if (!negative && Ipv4End(end) is int addressEnd)
            return make(TokenKind.Ipv4Address, _source[start..addressEnd], addressEnd, null);
        if (end + 1 < _source.Length && _source[end] == '.' && char.IsAsciiDigit(_source[end + 1]))
        {
            end = FractionEnd(end);
            return make(TokenKind.Float, _source[start..end], end, null);
        }
        return make(TokenKind.Integer, _source[start..end], end, null);
    }

    private int FractionEnd(int dot)
    {
        int end = dot + 1;
        while (end < _source.Length && char.IsAsciiDigit(_source[end])) end++;
        return end;
    }

    /// <summary>If the digits just scanned continue as ".d.d.d", the end of that dotted quad.</summary>
    private int? Ipv4End(int end)
    {
        for (int part = 0; part < 3; part++)
        {
            if (end + 1 >= _source.Length || _source[end] != '.' || !char.IsAsciiDigit(_source[end + 1])) return null;
            end++;
            while (end < _source.Length && char.IsAsciiDigit(_source[end])) end++;
        }
        return end < _source.Length && IsWordChar(_source[end]) ? null : end;
    }

    private int ScanQuoted(int start, char quote)
    {
        for (int i = start + 1; i < _source.Length; i++)
        {
            if (_source[i] == '\\') i++;
            else if (_source[i] == quote) return i + 1;
        }
        return -1;
    }

    private static string Unescape(string text) => text.Contains('\\') ? text.Replace("\\\"", "\"").Replace("\\`", "`").Replace("\\\\", "\\") : text;

    private Token Unterminated(SourceLocation location, string what, string closer, bool first)
    {
        _diagnostics.Add(new PacketdrillDiagnostic(location, $"unterminated {what}: no closing {closer} before the end of the file"));
        int start = _pos;
        AdvanceTo(_source.Length);
        return new Token(TokenKind.EndOfFile, "", location, start, 0, first);
    }

    private void SkipTrivia()
    {
        while (_pos < _source.Length)
        {
            char c = _source[_pos];
            if (char.IsWhiteSpace(c)) AdvanceTo(_pos + 1);
            else if (c == '/' && Peek(1) == '/')
            {
                int end = _source.IndexOf('\n', _pos);
                AdvanceTo(end < 0 ? _source.Length : end);
            }
            else if (c == '/' && Peek(1) == '*')
            {
                int end = _source.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    _diagnostics.Add(new PacketdrillDiagnostic(Here(_pos), "unterminated /* comment: no closing */ before the end of the file"));
                    AdvanceTo(_source.Length);
                    return;
                }
                AdvanceTo(end + 2);
            }
            else return;
        }
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
