using Warden.Policy.Ast;
using Warden.Policy.Parsing;
using Warden.Policy.Values;

namespace Warden.Policy.Tests.Parsing;

public sealed class LexerParserTests
{
    [Fact]
    public void Parse_AssignsPositionalPolicyIds()
    {
        var set = PolicySet.Parse("""
            @id("first") permit(principal, action, resource);
            // a comment
            forbid(principal, action, resource) when { true };
            """);
        set.Policies.Select(p => p.Id).ShouldBe(["policy0", "policy1"]);
        set.Policies[0].Annotations["id"].ShouldBe("first");
        set.Policies[1].Effect.ShouldBe(Effect.Forbid);
    }

    [Fact]
    public void Parse_WithPrefixAndCombine_KeepsIdsDistinct()
    {
        var a = PolicySet.Parse("permit(principal, action, resource);", "a.cedar#");
        var b = PolicySet.Parse("forbid(principal, action, resource);", "b.cedar#");
        PolicySet.Combine([a, b]).Policies.Select(p => p.Id).ShouldBe(["a.cedar#0", "b.cedar#0"]);
        Should.Throw<ArgumentException>(() => PolicySet.Combine([a, a]));
    }

    [Fact]
    public void Parse_ReadsAllScopeForms()
    {
        var set = PolicySet.Parse("""
            permit(principal == User::"a", action == Action::"view", resource in Folder::"f");
            permit(principal is User, action in [Action::"a", Action::"b"], resource is Doc in Folder::"f");
            permit(principal in Group::"g", action in Action::"grp", resource);
            """);
        var p0 = set.Policies[0];
        p0.Principal.Kind.ShouldBe(ScopeKind.Eq);
        p0.Principal.Entity.ShouldBe(new EntityUid("User", "a"));
        p0.Action.Kind.ShouldBe(ActionScopeKind.Eq);
        p0.Resource.Kind.ShouldBe(ScopeKind.In);
        var p1 = set.Policies[1];
        p1.Principal.Kind.ShouldBe(ScopeKind.Is);
        p1.Principal.EntityType.ShouldBe("User");
        p1.Action.Kind.ShouldBe(ActionScopeKind.InSet);
        p1.Action.Entities.Count.ShouldBe(2);
        p1.Resource.Kind.ShouldBe(ScopeKind.IsIn);
        set.Policies[2].Action.Kind.ShouldBe(ActionScopeKind.In);
    }

    [Fact]
    public void Parse_TemplatesWithSlotsAreKeptApartAndCanBeLinked()
    {
        var set = PolicySet.Parse("permit(principal == ?principal, action, resource in ?resource);");
        set.Policies.ShouldBeEmpty();
        set.Templates.Count.ShouldBe(1);
        var linked = set.Link("policy0", "link1", new EntityUid("User", "a"), new EntityUid("Folder", "f"));
        linked.Policies.Single().Principal.Entity.ShouldBe(new EntityUid("User", "a"));
        linked.Policies.Single().TemplateId.ShouldBe("policy0");
    }

    [Fact]
    public void Parse_RejectsSlotInTheWrongPosition()
    {
        Should.Throw<ParseException>(() => PolicySet.Parse("permit(principal == ?resource, action, resource);"));
    }

    [Fact]
    public void ParseError_CarriesLineAndColumn()
    {
        var ok = PolicySet.TryParse("permit(\n  principal,\n  action,\n  resource\n) when { 1 + };", out _, out var error);
        ok.ShouldBeFalse();
        error.ShouldNotBeNull();
        error.Line.ShouldBe(5);
        error.Column.ShouldBe(14);
    }

    [Fact]
    public void ParseError_ReportsUnterminatedStringAtItsStart()
    {
        var ex = Should.Throw<ParseException>(() => PolicySet.Parse("permit(principal, action, resource)\nwhen { \"abc };"));
        ex.Error.Line.ShouldBe(2);
        ex.Error.Column.ShouldBe(8);
    }

    [Theory]
    [InlineData("permit(principal, action, resource)")]
    [InlineData("permit(principal, action)")]
    [InlineData("allow(principal, action, resource);")]
    [InlineData("permit(principal, action is Action, resource);")]
    [InlineData("permit(principal, action == User::\"x\", resource);")]
    [InlineData("permit(principal, action, resource) when { };")]
    [InlineData("permit(principal, action, resource) when { 1 < 2 < 3 };")]
    [InlineData("permit(principal, action, resource) when { foo };")]
    [InlineData("permit(principal, action, resource) when { unknownFn(1) };")]
    [InlineData("permit(principal, action, resource) when { [].noSuchMethod() };")]
    [InlineData("permit(principal, action, resource) when { 9223372036854775808 };")]
    [InlineData("permit(principal, action, resource) when { {a: 1, a: 2} };")]
    [InlineData("@a @a permit(principal, action, resource);")]
    [InlineData("permit(principal, action, resource) when { \"\\q\" };")]
    [InlineData("permit(principal, action, resource) when { \"a\" like \"\\u{110000}\" };")]
    [InlineData("permit(principal, action, resource) when { 1 # 2 };")]
    [InlineData("permit(principal, action, resource) when { !!!!!true };")]
    [InlineData("permit(principal, action, resource) when { !-1 };")]
    [InlineData("permit(principal, action, resource) when { 1 + if true then 1 else 2 };")]
    [InlineData("permit(principal, action, resource) when { principal == ?principal };")]
    public void Parse_RejectsMalformedInputWithStructuredError(string text)
    {
        PolicySet.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull();
        error.Line.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Parse_AcceptsMinimumLongLiteral()
    {
        var e = Expr.Parse("-9223372036854775808");
        ((LiteralExpr)e).Value.ShouldBe(LongValue.Of(long.MinValue));
    }

    [Theory]
    [InlineData("1 + 2 * 3", 7)]
    [InlineData("(1 + 2) * 3", 9)]
    [InlineData("10 - 2 - 3", 5)]
    [InlineData("-2 * 3", -6)]
    [InlineData("- -2", 2)]
    [InlineData("if true then 1 else 2", 1)]
    [InlineData("if 1 > 2 then 1 else if 2 > 1 then 3 else 4", 3)]
    public void Parse_ArithmeticPrecedence(string expr, long expected) =>
        TestHelpers.Eval(expr).ShouldBe(LongValue.Of(expected));

    [Theory]
    [InlineData("true || false && false", true)]
    [InlineData("!true || true", true)]
    [InlineData("!(true || true)", false)]
    [InlineData("1 + 1 == 2 && 3 > 2", true)]
    [InlineData("1 < 2 == true", false)]
    public void Parse_BooleanPrecedence(string expr, bool expected)
    {
        // `1 < 2 == true` is not valid Cedar (relations don't chain); everything else parses.
        if (expr == "1 < 2 == true")
        {
            Should.Throw<ParseException>(() => Expr.Parse(expr));
            return;
        }

        TestHelpers.Eval(expr).ShouldBe(BoolValue.Of(expected));
    }

    [Theory]
    [InlineData("\"a\\nb\"", "a\nb")]
    [InlineData("\"tab\\there\"", "tab\there")]
    [InlineData("\"q\\\"q\\'\"", "q\"q'")]
    [InlineData("\"nul\\0\"", "nul\0")]
    [InlineData("\"back\\\\slash\"", "back\\slash")]
    [InlineData("\"\\u{1F600}\"", "\U0001F600")]
    [InlineData("\"\\x41\"", "A")]
    public void Parse_UnescapesRustStyleEscapes(string literal, string expected) =>
        TestHelpers.Eval(literal).ShouldBe(new StringValue(expected));

    [Fact]
    public void Parse_EntityUidsWithNamespacesAndEscapes()
    {
        TestHelpers.Eval("Ns::Sub::User::\"a\\\"b\"").ShouldBe(new EntityUid("Ns::Sub::User", "a\"b"));
    }

    [Fact]
    public void Parse_NestedHasDesugarsToChainedChecks()
    {
        var ctx = new RecordValue(new Dictionary<string, Value>(StringComparer.Ordinal)
        {
            ["a"] = new RecordValue(new Dictionary<string, Value>(StringComparer.Ordinal) { ["b"] = LongValue.Of(1) }),
        });
        TestHelpers.Eval("context has a.b", context: ctx).ShouldBe(BoolValue.True);
        TestHelpers.Eval("context has a.c", context: ctx).ShouldBe(BoolValue.False);
        TestHelpers.Eval("context has x.y", context: ctx).ShouldBe(BoolValue.False);
    }

    [Fact]
    public void Parse_RoundTripsThroughToString()
    {
        var set = PolicySet.Parse("@id(\"x\\\"y\") @flag permit(principal in G::\"g\", action == Action::\"a\", resource) when { context.x like \"a*\\*b\" } unless { [1, 2].contains(3) };");
        var again = PolicySet.Parse(set.Policies[0].ToString());
        again.Policies[0].ToString().ShouldBe(set.Policies[0].ToString());
        again.Policies[0].Annotations["id"].ShouldBe("x\"y");
        again.Policies[0].Annotations["flag"].ShouldBe(string.Empty);
    }

    [Fact]
    public void Parse_DeeplyNestedInputIsRejectedNotCrashing()
    {
        var deep = new string('(', 5000) + "1" + new string(')', 5000);
        Should.Throw<ParseException>(() => Expr.Parse(deep));
        var chain = string.Join(" + ", Enumerable.Repeat("1", 5000));
        Should.Throw<ParseException>(() => Expr.Parse(chain));
        var clauses = "permit(principal, action, resource)" + string.Concat(Enumerable.Repeat(" when { true }", 5000)) + ";";
        Should.Throw<ParseException>(() => PolicySet.Parse(clauses));
    }
}
