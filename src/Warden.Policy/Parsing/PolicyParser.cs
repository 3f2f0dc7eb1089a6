using System.Globalization;
using Warden.Policy.Ast;
using Warden.Policy.Values;

namespace Warden.Policy.Parsing;

/// <summary>
/// Recursive-descent parser for Cedar policy text. Precedence, lowest first: <c>if</c>, <c>||</c>, <c>&amp;&amp;</c>,
/// relations (<c>== != &lt; &lt;= &gt; &gt;= in has like is</c>, non-associative), <c>+ -</c>, <c>*</c>, unary <c>! -</c>,
/// member access and calls.
/// </summary>
internal sealed class PolicyParser : TokenReader
{
    // Guards against stack overflow on deeply nested input (in the parser, evaluator and validator);
    // far beyond any real policy.
    private const int MaxDepth = 200;
    private const int MaxTreeDepth = 400;
    private const int MaxPolicyDepth = 800;
    private int _depth;

    private PolicyParser(string text)
        : base(text)
    {
    }

    /// <summary>Parses a whole policy set; ids are assigned by position.</summary>
    public static List<CedarPolicy> ParsePolicies(string text, string idPrefix = "policy")
    {
        var parser = new PolicyParser(text);
        var result = new List<CedarPolicy>();
        while (!parser.AtEnd)
        {
            result.Add(parser.ParsePolicy(idPrefix + result.Count.ToString(CultureInfo.InvariantCulture)));
        }

        return result;
    }

    /// <summary>Parses a standalone expression.</summary>
    public static Expr ParseExpression(string text)
    {
        var parser = new PolicyParser(text);
        var e = parser.ParseExpr();
        if (!parser.AtEnd)
        {
            throw parser.Error($"unexpected {Describe(parser.Current)} after expression");
        }

        return e;
    }

    private CedarPolicy ParsePolicy(string id)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        while (Is(TokenKind.At))
        {
            Advance();
            var name = Expect(TokenKind.Identifier, "annotation name");
            var value = string.Empty;
            if (Accept(TokenKind.LParen))
            {
                value = StringEscapes.Unescape(Expect(TokenKind.String, "annotation value string"));
                Expect(TokenKind.RParen, "')'");
            }

            if (!annotations.TryAdd(name.Text, value))
            {
                throw Error(name, $"duplicate annotation @{name.Text}");
            }
        }

        Effect effect;
        if (AcceptKeyword("permit"))
        {
            effect = Effect.Permit;
        }
        else if (AcceptKeyword("forbid"))
        {
            effect = Effect.Forbid;
        }
        else
        {
            throw Error($"expected 'permit' or 'forbid', found {Describe(Current)}");
        }

        Expect(TokenKind.LParen, "'('");
        ExpectKeyword("principal");
        var principal = ParseScope(SlotKind.Principal);
        Expect(TokenKind.Comma, "','");
        ExpectKeyword("action");
        var action = ParseActionScope();
        Expect(TokenKind.Comma, "','");
        ExpectKeyword("resource");
        var resource = ParseScope(SlotKind.Resource);
        Accept(TokenKind.Comma);
        Expect(TokenKind.RParen, "')'");

        var conditions = new List<Condition>();
        while (IsKeyword("when") || IsKeyword("unless"))
        {
            var isWhen = Advance().Text == "when";
            Expect(TokenKind.LBrace, "'{'");
            if (Is(TokenKind.RBrace))
            {
                throw Error("condition body must not be empty");
            }

            var body = ParseExpr();
            Expect(TokenKind.RBrace, "'}'");
            conditions.Add(new Condition(isWhen, body));

            // The policy's combined condition nests one level per clause; keep it within recursion limits.
            if (conditions.Count + body.Depth > MaxPolicyDepth)
            {
                throw Error("policy has too many conditions");
            }
        }

        Expect(TokenKind.Semicolon, "';'");
        return new CedarPolicy(id, effect, principal, action, resource, conditions, annotations);
    }

    private ScopeConstraint ParseScope(SlotKind slotKind)
    {
        if (Accept(TokenKind.Eq))
        {
            var (uid, slot) = ParseScopeTarget(slotKind);
            return new ScopeConstraint(ScopeKind.Eq, uid, null, slot);
        }

        if (AcceptKeyword("in"))
        {
            var (uid, slot) = ParseScopeTarget(slotKind);
            return new ScopeConstraint(ScopeKind.In, uid, null, slot);
        }

        if (AcceptKeyword("is"))
        {
            var type = ParsePath();
            if (AcceptKeyword("in"))
            {
                var (uid, slot) = ParseScopeTarget(slotKind);
                return new ScopeConstraint(ScopeKind.IsIn, uid, type, slot);
            }

            return new ScopeConstraint(ScopeKind.Is, null, type);
        }

        return ScopeConstraint.Any;
    }

    private (EntityUid? Uid, SlotKind? Slot) ParseScopeTarget(SlotKind slotKind)
    {
        if (Is(TokenKind.Question))
        {
            var q = Advance();
            var name = Expect(TokenKind.Identifier, "slot name");
            var expected = slotKind == SlotKind.Principal ? "principal" : "resource";
            if (name.Text != expected)
            {
                throw Error(q, $"expected ?{expected} slot, found ?{name.Text}");
            }

            return (null, slotKind);
        }

        return (ParseEntityUid(), null);
    }

    private ActionConstraint ParseActionScope()
    {
        if (Accept(TokenKind.Eq))
        {
            return new ActionConstraint(ActionScopeKind.Eq, [ParseActionUid()]);
        }

        if (AcceptKeyword("in"))
        {
            if (Accept(TokenKind.LBracket))
            {
                var list = new List<EntityUid>();
                while (!Is(TokenKind.RBracket))
                {
                    list.Add(ParseActionUid());
                    if (!Accept(TokenKind.Comma))
                    {
                        break;
                    }
                }

                Expect(TokenKind.RBracket, "']'");
                return new ActionConstraint(ActionScopeKind.InSet, list);
            }

            return new ActionConstraint(ActionScopeKind.In, [ParseActionUid()]);
        }

        if (IsKeyword("is"))
        {
            throw Error("'is' is not allowed in the action scope");
        }

        return ActionConstraint.Any;
    }

    private EntityUid ParseActionUid()
    {
        var start = Current;
        var uid = ParseEntityUid();
        if (uid.Type != "Action" && !uid.Type.EndsWith("::Action", StringComparison.Ordinal))
        {
            throw Error(start, $"expected an action entity (type Action), found {uid}");
        }

        return uid;
    }

    private EntityUid ParseEntityUid()
    {
        var start = Current;
        var parts = new List<string> { Expect(TokenKind.Identifier, "entity type").Text };
        while (Accept(TokenKind.DoubleColon))
        {
            if (Is(TokenKind.String))
            {
                return new EntityUid(string.Join("::", parts), StringEscapes.Unescape(Advance()));
            }

            parts.Add(Expect(TokenKind.Identifier, "identifier or entity id string").Text);
        }

        throw Error(start, "expected an entity uid such as Type::\"id\"");
    }

    private string ParsePath()
    {
        var parts = new List<string> { Expect(TokenKind.Identifier, "type name").Text };
        while (Is(TokenKind.DoubleColon) && PeekAt(1).Kind == TokenKind.Identifier)
        {
            Advance();
            parts.Add(Advance().Text);
        }

        return string.Join("::", parts);
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error("expression nested too deeply");
        }
    }

    private Expr Bounded(Expr e) => e.Depth > MaxTreeDepth ? throw Error("expression nested too deeply") : e;

    private Expr ParseExpr()
    {
        Enter();
        try
        {
            if (AcceptKeyword("if"))
            {
                var c = ParseExpr();
                ExpectKeyword("then");
                var t = ParseExpr();
                ExpectKeyword("else");
                var e = ParseExpr();
                return Bounded(new IfExpr(c, t, e));
            }

            return Bounded(ParseOr());
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Accept(TokenKind.Or))
        {
            left = Bounded(new OrExpr(left, ParseAnd()));
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseRelation();
        while (Accept(TokenKind.And))
        {
            left = Bounded(new AndExpr(left, ParseRelation()));
        }

        return left;
    }

    private Expr ParseRelation()
    {
        var left = ParseAdd();
        switch (Current.Kind)
        {
            case TokenKind.Eq:
                Advance();
                return new BinaryExpr(BinaryOp.Eq, left, ParseAdd());
            case TokenKind.NotEq:
                Advance();
                return new UnaryExpr(UnaryOp.Not, new BinaryExpr(BinaryOp.Eq, left, ParseAdd()));
            case TokenKind.Less:
                Advance();
                return new BinaryExpr(BinaryOp.Less, left, ParseAdd());
            case TokenKind.LessEq:
                Advance();
                return new BinaryExpr(BinaryOp.LessEq, left, ParseAdd());
            case TokenKind.Greater:
                Advance();
                return new BinaryExpr(BinaryOp.Greater, left, ParseAdd());
            case TokenKind.GreaterEq:
                Advance();
                return new BinaryExpr(BinaryOp.GreaterEq, left, ParseAdd());
        }

        if (AcceptKeyword("in"))
        {
            return new BinaryExpr(BinaryOp.In, left, ParseAdd());
        }

        if (AcceptKeyword("has"))
        {
            return ParseHas(left);
        }

        if (AcceptKeyword("like"))
        {
            var pattern = new List<PatternElement>();
            StringEscapes.Unescape(Expect(TokenKind.String, "pattern string after 'like'"), pattern);
            return new LikeExpr(left, pattern);
        }

        if (AcceptKeyword("is"))
        {
            var type = ParsePath();
            Expr result = new IsExpr(left, type);
            if (AcceptKeyword("in"))
            {
                result = new AndExpr(result, new BinaryExpr(BinaryOp.In, left, ParseAdd()));
            }

            return result;
        }

        return left;
    }

    private Expr ParseHas(Expr target)
    {
        string first;
        if (Is(TokenKind.String))
        {
            return new HasAttrExpr(target, StringEscapes.Unescape(Advance()));
        }

        first = Expect(TokenKind.Identifier, "attribute name after 'has'").Text;

        // Cedar 4: `e has a.b.c` means `e has a && e.a has b && e.a.b has c`.
        Expr result = new HasAttrExpr(target, first);
        Expr path = new GetAttrExpr(target, first);
        while (Is(TokenKind.Dot) && PeekAt(1).Kind == TokenKind.Identifier && PeekAt(2).Kind != TokenKind.LParen)
        {
            Advance();
            var name = Advance().Text;
            result = Bounded(new AndExpr(result, new HasAttrExpr(path, name)));
            path = new GetAttrExpr(path, name);
        }

        return result;
    }

    private Expr ParseAdd()
    {
        var left = ParseMul();
        while (true)
        {
            if (Accept(TokenKind.Plus))
            {
                left = Bounded(new BinaryExpr(BinaryOp.Add, left, ParseMul()));
            }
            else if (Accept(TokenKind.Minus))
            {
                left = Bounded(new BinaryExpr(BinaryOp.Sub, left, ParseMul()));
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseMul()
    {
        var left = ParseUnary();
        while (Accept(TokenKind.Star))
        {
            left = Bounded(new BinaryExpr(BinaryOp.Mul, left, ParseUnary()));
        }

        return left;
    }

    private Expr ParseUnary()
    {
        // Cedar's grammar allows one to four repetitions of a single prefix operator (`!!x`, `--x`), not mixes.
        var ops = new List<TokenKind>();
        var first = Current;
        while (Is(TokenKind.Bang) || Is(TokenKind.Minus))
        {
            if (ops.Count > 0 && Current.Kind != ops[0])
            {
                throw Error("'!' and '-' cannot be combined without parentheses");
            }

            ops.Add(Advance().Kind);
        }

        if (ops.Count > 4)
        {
            throw Error(first, $"too many occurrences of '{first.Text}'");
        }

        Expr operand;
        if (ops.Count > 0 && ops[^1] == TokenKind.Minus && Is(TokenKind.Integer) && PeekAt(1).Kind is not (TokenKind.Dot or TokenKind.LBracket))
        {
            // `-9223372036854775808` is a valid literal even though its magnitude is not, so fold the sign in
            // (only for a bare literal: `-1.m()` negates the member expression, as in Cedar).
            var tok = Advance();
            if (!ulong.TryParse(tok.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var mag) || mag > 9223372036854775808UL)
            {
                throw Error(tok, $"integer literal -{tok.Text} is out of range");
            }

            operand = new LiteralExpr(LongValue.Of(mag == 9223372036854775808UL ? long.MinValue : -(long)mag));
            ops.RemoveAt(ops.Count - 1);
        }
        else
        {
            operand = ParseMember();
        }

        for (var i = ops.Count - 1; i >= 0; i--)
        {
            operand = Bounded(new UnaryExpr(ops[i] == TokenKind.Bang ? UnaryOp.Not : UnaryOp.Negate, operand));
        }

        return operand;
    }

    private Expr ParseMember() => ParseAccessChain(ParsePrimary());

    private Expr ParseAccessChain(Expr e)
    {
        while (true)
        {
            Bounded(e);
            if (Accept(TokenKind.Dot))
            {
                var name = Expect(TokenKind.Identifier, "attribute or method name");
                if (Accept(TokenKind.LParen))
                {
                    var args = ParseArgs();
                    e = MakeMethodCall(name, e, args);
                }
                else
                {
                    e = new GetAttrExpr(e, name.Text);
                }
            }
            else if (Is(TokenKind.LBracket))
            {
                Advance();
                var key = Expect(TokenKind.String, "string literal attribute name");
                Expect(TokenKind.RBracket, "']'");
                e = new GetAttrExpr(e, StringEscapes.Unescape(key));
            }
            else
            {
                return e;
            }
        }
    }

    private List<Expr> ParseArgs()
    {
        // Cedar's grammar accepts a trailing comma in argument, set, record and action lists.
        var args = new List<Expr>();
        while (!Is(TokenKind.RParen))
        {
            args.Add(ParseExpr());
            if (!Accept(TokenKind.Comma))
            {
                break;
            }
        }

        Expect(TokenKind.RParen, "')'");
        return args;
    }

    private static Expr MakeMethodCall(Token name, Expr receiver, List<Expr> args)
    {
        void Arity(int n)
        {
            if (args.Count != n)
            {
                throw Error(name, $"method {name.Text} expects {n} argument(s), got {args.Count}");
            }
        }

        switch (name.Text)
        {
            case "contains":
                Arity(1);
                return new BinaryExpr(BinaryOp.Contains, receiver, args[0]);
            case "containsAll":
                Arity(1);
                return new BinaryExpr(BinaryOp.ContainsAll, receiver, args[0]);
            case "containsAny":
                Arity(1);
                return new BinaryExpr(BinaryOp.ContainsAny, receiver, args[0]);
            case "hasTag":
                Arity(1);
                return new BinaryExpr(BinaryOp.HasTag, receiver, args[0]);
            case "getTag":
                Arity(1);
                return new BinaryExpr(BinaryOp.GetTag, receiver, args[0]);
            case "isEmpty":
                Arity(0);
                return new UnaryExpr(UnaryOp.IsEmpty, receiver);
        }

        if (!ExtensionFunctions.TryGetMethod(name.Text, out var fn))
        {
            throw Error(name, $"unknown method '{name.Text}'");
        }

        // Extension-function arity is checked at evaluation time, as Cedar does.
        args.Insert(0, receiver);
        return new ExtensionCallExpr(fn, args);
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Integer:
                Advance();
                if (!long.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    throw Error(t, $"integer literal {t.Text} is out of range");
                }

                return new LiteralExpr(LongValue.Of(n));
            case TokenKind.String:
                Advance();
                return new LiteralExpr(new StringValue(StringEscapes.Unescape(t)));
            case TokenKind.LParen:
                {
                    Advance();
                    var e = ParseExpr();
                    Expect(TokenKind.RParen, "')'");
                    return e;
                }

            case TokenKind.LBracket:
                {
                    Advance();
                    var items = new List<Expr>();
                    while (!Is(TokenKind.RBracket))
                    {
                        items.Add(ParseExpr());
                        if (!Accept(TokenKind.Comma))
                        {
                            break;
                        }
                    }

                    Expect(TokenKind.RBracket, "']'");
                    return new SetExpr(items);
                }

            case TokenKind.LBrace:
                return ParseRecord();
            case TokenKind.Question:
                throw Error(t, "template slots are only allowed in the policy scope");

            case TokenKind.Identifier:
                return ParseIdentifierPrimary();
            default:
                throw Error($"expected an expression, found {Describe(t)}");
        }
    }

    private Expr ParseRecord()
    {
        Advance();
        var fields = new List<KeyValuePair<string, Expr>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!Is(TokenKind.RBrace))
        {
            var keyTok = Current;
            string key;
            if (Is(TokenKind.String))
            {
                key = StringEscapes.Unescape(Advance());
            }
            else
            {
                key = Expect(TokenKind.Identifier, "record key").Text;
            }

            Expect(TokenKind.Colon, "':'");
            var value = ParseExpr();
            if (!seen.Add(key))
            {
                throw Error(keyTok, $"duplicate record key {StringValue.Quote(key)}");
            }

            fields.Add(new KeyValuePair<string, Expr>(key, value));

            if (!Accept(TokenKind.Comma))
            {
                break;
            }
        }

        Expect(TokenKind.RBrace, "'}'");
        return new RecordExpr(fields);
    }

    private Expr ParseIdentifierPrimary()
    {
        var t = Current;
        switch (t.Text)
        {
            case "true":
                Advance();
                return new LiteralExpr(BoolValue.True);
            case "false":
                Advance();
                return new LiteralExpr(BoolValue.False);
            case "if":
                throw Error(t, "if-then-else must be parenthesized here");
        }

        if (PeekAt(1).Kind != TokenKind.DoubleColon && PeekAt(1).Kind != TokenKind.LParen)
        {
            Advance();
            return t.Text switch
            {
                "principal" => new VariableExpr(Variable.Principal),
                "action" => new VariableExpr(Variable.Action),
                "resource" => new VariableExpr(Variable.Resource),
                "context" => new VariableExpr(Variable.Context),
                _ => throw Error(t, $"unknown identifier '{t.Text}'"),
            };
        }

        var parts = new List<string> { Advance().Text };
        while (Accept(TokenKind.DoubleColon))
        {
            if (Is(TokenKind.String))
            {
                return new LiteralExpr(new EntityUid(string.Join("::", parts), StringEscapes.Unescape(Advance())));
            }

            parts.Add(Expect(TokenKind.Identifier, "identifier or entity id string").Text);
        }

        var fname = string.Join("::", parts);
        if (Is(TokenKind.LParen))
        {
            Advance();
            var args = ParseArgs();
            if (!ExtensionFunctions.TryGetConstructor(fname, out var fn))
            {
                throw Error(t, $"unknown function '{fname}'");
            }

            return new ExtensionCallExpr(fn, args);
        }

        throw Error(t, $"unexpected name '{fname}'");
    }
}
