using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

public enum TokenKind
{
    /// <summary>Decimal integer, possibly negative (<c>-1</c>).</summary>
    Integer,
    /// <summary><c>0x</c>-prefixed integer.</summary>
    HexInteger,
    /// <summary>Decimal with a fraction: <c>0.100</c>, <c>.1</c>.</summary>
    Float,
    /// <summary>Identifier-like run of letters, digits and underscores: <c>socket</c>, <c>sackOK</c>, <c>S</c>.</summary>
    Word,
    /// <summary><c>--name</c> at the head of a script; <see cref="Token.Value"/> holds what follows <c>=</c>, if anything.</summary>
    HeaderOption,
    /// <summary><c>"text"</c>, quotes removed.</summary>
    String,
    /// <summary><c>`command`</c>, back quotes removed.</summary>
    BackQuoted,
    /// <summary><c>%{ python }%</c>, delimiters removed.</summary>
    Code,
    Ipv4Address,
    /// <summary><c>...</c></summary>
    Ellipsis,
    /// <summary>Any other single character: <c>&lt; &gt; ( ) [ ] { } , : = | + * ~ . -</c></summary>
    Punct,
    EndOfFile,
}

/// <summary>A lexeme with where it starts. <see cref="Offset"/>/<see cref="Length"/> locate its raw text in the
/// source, so free text (an errno's note) can be quoted exactly.</summary>
public readonly record struct Token(TokenKind Kind, string Text, SourceLocation Location, int Offset, int Length,
                                    bool FirstOnLine, string? Value = null)
{
    public bool Is(char punct) => Kind == TokenKind.Punct && Text.Length == 1 && Text[0] == punct;
    public bool IsWord(string word) => Kind == TokenKind.Word && Text == word;
    public int End => Offset + Length;

    public string Describe() => Kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.String => $"string \"{Text}\"",
        TokenKind.BackQuoted => "a shell command",
        TokenKind.Code => "a %{ }% code block",
        TokenKind.HeaderOption => $"option --{Text}",
        _ => $"'{Text}'",
    };
}
