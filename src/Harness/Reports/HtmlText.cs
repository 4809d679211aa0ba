using System.Globalization;
using System.Text;

namespace Netstack.Harness.Reports;

/// <summary>Escaping for text placed in HTML or SVG (element content and quoted attribute values alike), and
/// invariant number formatting for coordinates, so a report never depends on the machine's culture.</summary>
public static class HtmlText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            string? entity = text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                // Control characters other than tab and newline are not allowed in XML (inline SVG is parsed as HTML,
                // but a report saved as .svg must stay valid).
                < ' ' and not '\t' and not '\n' and not '\r' => "\uFFFD",
                _ => null,
            };
            if (entity is null)
            {
                sb?.Append(text[i]);
                continue;
            }
            sb ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            sb.Append(entity);
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>A coordinate with at most one decimal, invariant.</summary>
    public static string Num(double value) =>
        Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>An element id made only of letters, digits and dashes.</summary>
    public static string Id(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        return sb.ToString();
    }
}
