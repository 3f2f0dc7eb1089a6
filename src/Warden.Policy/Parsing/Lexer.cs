using System.Text;

namespace Warden.Policy.Parsing;

/// <summary>Tokenizes Cedar policy and schema text. Comments (<c>//</c> to end of line) are skipped.</summary>
internal sealed class Lexer
{
    private readonly string _text;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    public Lexer(string text) => _text = text;

    public static List<Token> Tokenize(string text)
    {
        var lexer = new Lexer(text);
        var tokens = new List<Token>();
        while (true)
        {
            var t = lexer.Next();
            tokens.Add(t);
            if (t.Kind == TokenKind.End)
            {
                return tokens;
            }
        }
    }

    private Token Next()
    {
        SkipTrivia();
        var line = _line;
        var col = _pos - _lineStart + 1;
        if (_pos >= _text.Length)
        {
            return new Token(TokenKind.End, string.Empty, line, col);
        }

        var c = _text[_pos];
        if (char.IsAsciiLetter(c) || c == '_')
        {
            var start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            return new Token(TokenKind.Identifier, _text[start.._pos], line, col);
        }

        if (char.IsAsciiDigit(c))
        {
            var start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }

            return new Token(TokenKind.Integer, _text[start.._pos], line, col);
        }

        if (c == '"')
        {
            return LexString(line, col);
        }

        _pos++;
        var next = _pos < _text.Length ? _text[_pos] : '\0';
        switch (c)
        {
            case '(': return new Token(TokenKind.LParen, "(", line, col);
            case ')': return new Token(TokenKind.RParen, ")", line, col);
            case '[': return new Token(TokenKind.LBracket, "[", line, col);
            case ']': return new Token(TokenKind.RBracket, "]", line, col);
            case '{': return new Token(TokenKind.LBrace, "{", line, col);
            case '}': return new Token(TokenKind.RBrace, "}", line, col);
            case ',': return new Token(TokenKind.Comma, ",", line, col);
            case ';': return new Token(TokenKind.Semicolon, ";", line, col);
            case '.': return new Token(TokenKind.Dot, ".", line, col);
            case '?': return new Token(TokenKind.Question, "?", line, col);
            case '@': return new Token(TokenKind.At, "@", line, col);
            case '+': return new Token(TokenKind.Plus, "+", line, col);
            case '-': return new Token(TokenKind.Minus, "-", line, col);
            case '*': return new Token(TokenKind.Star, "*", line, col);
            case ':':
                if (next == ':')
                {
                    _pos++;
                    return new Token(TokenKind.DoubleColon, "::", line, col);
                }

                return new Token(TokenKind.Colon, ":", line, col);
            case '=':
                if (next == '=')
                {
                    _pos++;
                    return new Token(TokenKind.Eq, "==", line, col);
                }

                return new Token(TokenKind.Assign, "=", line, col);
            case '!':
                if (next == '=')
                {
                    _pos++;
                    return new Token(TokenKind.NotEq, "!=", line, col);
                }

                return new Token(TokenKind.Bang, "!", line, col);
            case '<':
                if (next == '=')
                {
                    _pos++;
                    return new Token(TokenKind.LessEq, "<=", line, col);
                }

                return new Token(TokenKind.Less, "<", line, col);
            case '>':
                if (next == '=')
                {
                    _pos++;
                    return new Token(TokenKind.GreaterEq, ">=", line, col);
                }

                return new Token(TokenKind.Greater, ">", line, col);
            case '&':
                if (next == '&')
                {
                    _pos++;
                    return new Token(TokenKind.And, "&&", line, col);
                }

                break;
            case '|':
                if (next == '|')
                {
                    _pos++;
                    return new Token(TokenKind.Or, "||", line, col);
                }

                break;
        }

        throw new ParseException($"unexpected character '{Printable(c)}'", line, col);
    }

    private static string Printable(char c) => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{{{(int)c:x}}}" : c.ToString();

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (c is ' ' or '\t' or '\r' or '\f' or '\v' || (c > 127 && char.IsWhiteSpace(c)))
            {
                _pos++;
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private Token LexString(int line, int col)
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw new ParseException("unterminated string literal", line, col);
            }

            var c = _text[_pos];
            if (c == '"')
            {
                _pos++;
                return new Token(TokenKind.String, sb.ToString(), line, col);
            }

            if (c == '\\' && _pos + 1 < _text.Length)
            {
                sb.Append(c).Append(_text[_pos + 1]);
                if (_text[_pos + 1] == '\n')
                {
                    _line++;
                    _lineStart = _pos + 2;
                }

                _pos += 2;
                continue;
            }

            if (c == '\n')
            {
                _line++;
                _lineStart = _pos + 1;
            }

            sb.Append(c);
            _pos++;
        }
    }
}
