using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Parsing;

/// <summary>
/// Parser for Cedar's human-readable schema format. Declarations are collected first and type names resolved
/// afterwards, because declarations may refer to types declared later or in other namespaces.
/// </summary>
internal sealed class SchemaParser : TokenReader
{
    private const int MaxDepth = 100;
    private readonly List<RawEntity> _entities = [];
    private readonly List<RawAction> _actions = [];
    private readonly Dictionary<string, (RawType Type, string Ns)> _commonTypes = new(StringComparer.Ordinal);
    private int _depth;

    private SchemaParser(string text)
        : base(text)
    {
    }

    public static CedarSchema Parse(string text)
    {
        var p = new SchemaParser(text);
        p.ParseAll();
        return new SchemaBuilder(p._entities, p._actions, p._commonTypes).Build();
    }

    private void ParseAll()
    {
        while (!AtEnd)
        {
            SkipAnnotations();
            if (AcceptKeyword("namespace"))
            {
                var ns = ParsePathText();
                Expect(TokenKind.LBrace, "'{'");
                while (!Is(TokenKind.RBrace))
                {
                    if (AtEnd)
                    {
                        throw Error("expected '}' to close namespace");
                    }

                    ParseDecl(ns);
                }

                Advance();
            }
            else
            {
                ParseDecl(string.Empty);
            }
        }
    }

    private void SkipAnnotations()
    {
        while (Accept(TokenKind.At))
        {
            Expect(TokenKind.Identifier, "annotation name");
            if (Accept(TokenKind.LParen))
            {
                StringEscapes.Unescape(Expect(TokenKind.String, "annotation value"));
                Expect(TokenKind.RParen, "')'");
            }
        }
    }

    private string ParsePathText()
    {
        var parts = new List<string> { Expect(TokenKind.Identifier, "name").Text };
        while (Is(TokenKind.DoubleColon) && PeekAt(1).Kind == TokenKind.Identifier)
        {
            Advance();
            parts.Add(Advance().Text);
        }

        return string.Join("::", parts);
    }

    private void ParseDecl(string ns)
    {
        SkipAnnotations();
        if (AcceptKeyword("entity"))
        {
            ParseEntity(ns);
        }
        else if (AcceptKeyword("action"))
        {
            ParseAction(ns);
        }
        else if (AcceptKeyword("type"))
        {
            var nameTok = Expect(TokenKind.Identifier, "type name");
            Expect(TokenKind.Assign, "'='");
            var t = ParseType();
            Expect(TokenKind.Semicolon, "';'");
            var full = Qualify(ns, nameTok.Text);
            if (!_commonTypes.TryAdd(full, (t, ns)))
            {
                throw Error(nameTok, $"duplicate common type {full}");
            }
        }
        else
        {
            throw Error($"expected 'entity', 'action', 'type' or 'namespace', found {Describe(Current)}");
        }
    }

    private static string Qualify(string ns, string name) => ns.Length == 0 ? name : ns + "::" + name;

    private void ParseEntity(string ns)
    {
        var names = new List<Token> { Expect(TokenKind.Identifier, "entity type name") };
        while (Accept(TokenKind.Comma))
        {
            names.Add(Expect(TokenKind.Identifier, "entity type name"));
        }

        var parents = new List<RawType>();
        RawType? attrs = null;
        RawType? tags = null;
        List<string>? enumIds = null;
        if (AcceptKeyword("enum"))
        {
            Expect(TokenKind.LBracket, "'['");
            enumIds = [];
            do
            {
                enumIds.Add(StringEscapes.Unescape(Expect(TokenKind.String, "enum id string")));
            }
            while (Accept(TokenKind.Comma) && !Is(TokenKind.RBracket));
            Expect(TokenKind.RBracket, "']'");
        }
        else
        {
            if (AcceptKeyword("in"))
            {
                parents = ParseTypeRefs();
            }

            Accept(TokenKind.Assign);
            if (Is(TokenKind.LBrace))
            {
                attrs = ParseRecordType();
            }

            if (AcceptKeyword("tags"))
            {
                tags = ParseType();
            }
        }

        Expect(TokenKind.Semicolon, "';'");
        foreach (var n in names)
        {
            _entities.Add(new RawEntity(n, ns, Qualify(ns, n.Text), parents, attrs, tags, enumIds));
        }
    }

    private List<RawType> ParseTypeRefs()
    {
        var list = new List<RawType>();
        if (Accept(TokenKind.LBracket))
        {
            if (!Is(TokenKind.RBracket))
            {
                do
                {
                    list.Add(new RawType.Named(Current, ParsePathText()));
                }
                while (Accept(TokenKind.Comma) && !Is(TokenKind.RBracket));
            }

            Expect(TokenKind.RBracket, "']'");
        }
        else
        {
            list.Add(new RawType.Named(Current, ParsePathText()));
        }

        return list;
    }

    private void ParseAction(string ns)
    {
        var names = new List<(Token Tok, string Name)> { ParseName() };
        while (Accept(TokenKind.Comma))
        {
            names.Add(ParseName());
        }

        var parents = new List<(Token Tok, string? Type, string Id)>();
        if (AcceptKeyword("in"))
        {
            if (Accept(TokenKind.LBracket))
            {
                if (!Is(TokenKind.RBracket))
                {
                    do
                    {
                        parents.Add(ParseActionRef());
                    }
                    while (Accept(TokenKind.Comma) && !Is(TokenKind.RBracket));
                }

                Expect(TokenKind.RBracket, "']'");
            }
            else
            {
                parents.Add(ParseActionRef());
            }
        }

        List<RawType>? principals = null;
        List<RawType>? resources = null;
        RawType? context = null;
        var hasAppliesTo = false;
        if (AcceptKeyword("appliesTo"))
        {
            hasAppliesTo = true;
            Expect(TokenKind.LBrace, "'{'");
            while (!Is(TokenKind.RBrace))
            {
                var key = Expect(TokenKind.Identifier, "'principal', 'resource' or 'context'");
                Expect(TokenKind.Colon, "':'");
                switch (key.Text)
                {
                    case "principal" when principals is null:
                        principals = ParseTypeRefs();
                        break;
                    case "resource" when resources is null:
                        resources = ParseTypeRefs();
                        break;
                    case "context" when context is null:
                        context = ParseType();
                        break;
                    default:
                        throw Error(key, $"unexpected or duplicate appliesTo key '{key.Text}'");
                }

                if (!Accept(TokenKind.Comma))
                {
                    break;
                }
            }

            Expect(TokenKind.RBrace, "'}'");
        }

        if (AcceptKeyword("attributes"))
        {
            ParseRecordType();
        }

        Expect(TokenKind.Semicolon, "';'");
        foreach (var (tok, name) in names)
        {
            _actions.Add(new RawAction(tok, ns, name, parents, hasAppliesTo ? principals ?? [] : [], hasAppliesTo ? resources ?? [] : [], context));
        }
    }

    private (Token Tok, string Name) ParseName()
    {
        var t = Current;
        if (Is(TokenKind.String))
        {
            return (t, StringEscapes.Unescape(Advance()));
        }

        return (t, Expect(TokenKind.Identifier, "name").Text);
    }

    private (Token Tok, string? Type, string Id) ParseActionRef()
    {
        var t = Current;
        if (Is(TokenKind.String))
        {
            return (t, null, StringEscapes.Unescape(Advance()));
        }

        var parts = new List<string> { Expect(TokenKind.Identifier, "action name").Text };
        while (Accept(TokenKind.DoubleColon))
        {
            if (Is(TokenKind.String))
            {
                return (t, string.Join("::", parts), StringEscapes.Unescape(Advance()));
            }

            parts.Add(Expect(TokenKind.Identifier, "identifier").Text);
        }

        if (parts.Count > 1)
        {
            throw Error(t, "expected an action reference such as \"name\" or Ns::Action::\"name\"");
        }

        return (t, null, parts[0]);
    }

    private RawType ParseType()
    {
        if (++_depth > MaxDepth)
        {
            throw Error("type nested too deeply");
        }

        try
        {
            if (Is(TokenKind.LBrace))
            {
                return ParseRecordType();
            }

            var start = Current;
            if (IsKeyword("Set") && PeekAt(1).Kind == TokenKind.Less)
            {
                Advance();
                Advance();
                var el = ParseType();
                Expect(TokenKind.Greater, "'>'");
                return new RawType.Set(el);
            }

            return new RawType.Named(start, ParsePathText());
        }
        finally
        {
            _depth--;
        }
    }

    private RawType.Record ParseRecordType()
    {
        Expect(TokenKind.LBrace, "'{'");
        var attrs = new List<(Token Tok, string Name, bool Required, RawType Type)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!Is(TokenKind.RBrace))
        {
            SkipAnnotations();
            var (tok, name) = ParseName();
            var required = !Accept(TokenKind.Question);
            Expect(TokenKind.Colon, "':'");
            var t = ParseType();
            if (!seen.Add(name))
            {
                throw Error(tok, $"duplicate attribute {name}");
            }

            attrs.Add((tok, name, required, t));
            if (!Accept(TokenKind.Comma))
            {
                break;
            }
        }

        Expect(TokenKind.RBrace, "'}'");
        return new RawType.Record(attrs);
    }

    internal abstract record RawType
    {
        internal sealed record Named(Token Tok, string Name) : RawType;

        internal sealed record Set(RawType Element) : RawType;

        internal sealed record Record(List<(Token Tok, string Name, bool Required, RawType Type)> Attributes) : RawType;
    }

    internal sealed record RawEntity(Token Tok, string Ns, string Name, List<RawType> Parents, RawType? Attributes, RawType? Tags, List<string>? EnumIds);

    internal sealed record RawAction(Token Tok, string Ns, string Name, List<(Token Tok, string? Type, string Id)> Parents, List<RawType> Principals, List<RawType> Resources, RawType? Context);
}
