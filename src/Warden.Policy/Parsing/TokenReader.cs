namespace Warden.Policy.Parsing;

/// <summary>Cursor over a token list with the helpers both parsers need.</summary>
internal class TokenReader
{
    private readonly List<Token> _tokens;
    private int _index;

    protected TokenReader(string text) => _tokens = Lexer.Tokenize(text);

    protected Token Current => _tokens[_index];

    protected Token PeekAt(int offset) => _tokens[Math.Min(_index + offset, _tokens.Count - 1)];

    protected bool AtEnd => Current.Kind == TokenKind.End;

    protected Token Advance()
    {
        var t = _tokens[_index];
        if (_index < _tokens.Count - 1)
        {
            _index++;
        }

        return t;
    }

    protected bool Is(TokenKind kind) => Current.Kind == kind;

    protected bool IsKeyword(string word) => Current.Kind == TokenKind.Identifier && string.Equals(Current.Text, word, StringComparison.Ordinal);

    protected bool Accept(TokenKind kind)
    {
        if (Current.Kind != kind)
        {
            return false;
        }

        Advance();
        return true;
    }

    protected bool AcceptKeyword(string word)
    {
        if (!IsKeyword(word))
        {
            return false;
        }

        Advance();
        return true;
    }

    protected Token Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind)
        {
            throw Error($"expected {what}, found {Describe(Current)}");
        }

        return Advance();
    }

    protected void ExpectKeyword(string word)
    {
        if (!AcceptKeyword(word))
        {
            throw Error($"expected '{word}', found {Describe(Current)}");
        }
    }

    protected ParseException Error(string message) => new(message, Current.Line, Current.Column);

    protected static ParseException Error(Token at, string message) => new(message, at.Line, at.Column);

    protected static string Describe(Token t) => t.Kind switch
    {
        TokenKind.End => "end of input",
        TokenKind.String => "string literal",
        TokenKind.Integer => $"integer '{t.Text}'",
        TokenKind.Identifier => $"'{t.Text}'",
        _ => $"'{t.Text}'",
    };
}
