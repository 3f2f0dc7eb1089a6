using System.Globalization;
using System.Text;

namespace Warden.Policy.Parsing;

/// <summary>Rust-style string unescaping as used by Cedar string literals and <c>like</c> patterns.</summary>
internal static class StringEscapes
{
    /// <summary>
    /// Unescapes a raw string body. When <paramref name="pattern"/> is non-null, the string is a <c>like</c>
    /// pattern: unescaped <c>*</c> becomes a wildcard and <c>\*</c> a literal star.
    /// </summary>
    public static string Unescape(Token token, List<PatternElement>? pattern = null)
    {
        var raw = token.Text;
        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c != '\\')
            {
                if (pattern is not null && c == '*')
                {
                    Flush(sb, pattern);
                    pattern.Add(PatternElement.Wildcard);
                }
                else
                {
                    sb.Append(c);
                }

                continue;
            }

            if (i + 1 >= raw.Length)
            {
                throw Error(token, "invalid escape at end of string");
            }

            var e = raw[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case '\\': sb.Append('\\'); break;
                case '0': sb.Append('\0'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '*' when pattern is not null: sb.Append('*'); break;
                case '\n':
                    // A backslash-newline continues the string, skipping leading whitespace (Rust semantics).
                    while (i + 1 < raw.Length && raw[i + 1] is ' ' or '\t' or '\n' or '\r')
                    {
                        i++;
                    }

                    break;
                case 'x':
                    {
                        if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
                        {
                            throw Error(token, "invalid \\x escape");
                        }

                        var v = int.Parse(raw.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        if (v > 0x7F)
                        {
                            throw Error(token, "\\x escape out of range");
                        }

                        sb.Append((char)v);
                        i += 2;
                        break;
                    }

                case 'u':
                    {
                        if (i + 1 >= raw.Length || raw[i + 1] != '{')
                        {
                            throw Error(token, "invalid \\u escape");
                        }

                        var close = raw.IndexOf('}', i + 2);
                        if (close < 0)
                        {
                            throw Error(token, "unterminated \\u escape");
                        }

                        var hex = raw.Substring(i + 2, close - i - 2).Replace("_", string.Empty, StringComparison.Ordinal);
                        if (hex.Length == 0 || hex.Length > 6 || !hex.All(char.IsAsciiHexDigit))
                        {
                            throw Error(token, "invalid \\u escape");
                        }

                        var cp = int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        {
                            throw Error(token, "invalid unicode scalar value in \\u escape");
                        }

                        sb.Append(char.ConvertFromUtf32(cp));
                        i = close;
                        break;
                    }

                default:
                    throw Error(token, $"invalid escape sequence '\\{e}'");
            }
        }

        if (pattern is not null)
        {
            Flush(sb, pattern);
            return string.Empty;
        }

        return sb.ToString();
    }

    private static void Flush(StringBuilder sb, List<PatternElement> pattern)
    {
        if (sb.Length > 0)
        {
            pattern.Add(PatternElement.Literal(sb.ToString()));
            sb.Clear();
        }
    }

    private static ParseException Error(Token token, string message) => new(message, token.Line, token.Column);
}
