using Warden.Policy.Values;
using static Warden.Policy.Tests.TestHelpers;

namespace Warden.Policy.Tests.Evaluation;

public sealed class EvaluatorTests
{
    private static readonly Entities.EntityStore Store = LoadEntities("""
        [
          {"uid": {"type": "User", "id": "alice"}, "attrs": {"age": 30, "name": "Alice", "manager": {"__entity": {"type": "User", "id": "bob"}}, "tags": ["a", "b"]},
           "parents": [{"type": "Group", "id": "eng"}], "tags": {"level": 3}},
          {"uid": {"type": "Group", "id": "eng"}, "attrs": {}, "parents": [{"type": "Group", "id": "all"}]},
          {"uid": {"type": "Group", "id": "all"}, "attrs": {}, "parents": []}
        ]
        """);

    [Fact]
    public void In_IsReflexiveAndTransitive()
    {
        EvalTrue("User::\"alice\" in User::\"alice\"", Store);
        EvalTrue("User::\"alice\" in Group::\"eng\"", Store);
        EvalTrue("User::\"alice\" in Group::\"all\"", Store);
        EvalFalse("Group::\"all\" in Group::\"eng\"", Store);
        EvalTrue("User::\"ghost\" in User::\"ghost\"", Store);
        EvalFalse("User::\"ghost\" in Group::\"all\"", Store);
    }

    [Fact]
    public void In_FollowsCyclicHierarchiesCompletely()
    {
        var store = LoadEntities("""
            [
              {"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]},
              {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}]},
              {"uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}, {"type": "G", "id": "d"}]},
              {"uid": {"type": "G", "id": "d"}, "attrs": {}, "parents": []}
            ]
            """);
        EvalTrue("G::\"a\" in G::\"d\"", store);
        EvalTrue("G::\"b\" in G::\"a\"", store);
        EvalTrue("G::\"c\" in G::\"b\"", store);
        EvalFalse("G::\"d\" in G::\"a\"", store);
    }

    [Fact]
    public void In_AgainstASetMeansInAny()
    {
        EvalTrue("User::\"alice\" in [Group::\"x\", Group::\"all\"]", Store);
        EvalFalse("User::\"alice\" in []", Store);
        EvalError("User::\"alice\" in [Group::\"all\", 1]", Store);
        EvalError("1 in Group::\"all\"", Store);
    }

    [Fact]
    public void AndOr_ShortCircuitAndRequireBooleans()
    {
        EvalFalse("false && (1 + \"a\")");
        EvalTrue("true || (1 + \"a\")");
        EvalError("true && 1");
        EvalError("false || 1");
        EvalError("1 && true");
        EvalError("if 1 then true else false");
    }

    [Fact]
    public void Arithmetic_OverflowIsAnError()
    {
        Eval("9223372036854775807 - 1").ShouldBe(LongValue.Of(long.MaxValue - 1));
        EvalError("9223372036854775807 + 1");
        EvalError("-9223372036854775808 - 1");
        EvalError("4611686018427387904 * 2");
        EvalError("-(-9223372036854775808)");
        EvalError("1 + true");
    }

    [Fact]
    public void Equality_IsStructuralAndNeverATypeError()
    {
        EvalTrue("[1, 2, 2] == [2, 1]");
        EvalTrue("{a: 1, b: [true]} == {b: [true], a: 1}");
        EvalFalse("1 == \"1\"");
        EvalTrue("1 != \"1\"");
        EvalTrue("decimal(\"1.0\") == decimal(\"1.0000\")");
        EvalTrue("ip(\"10.0.0.1\") == ip(\"10.0.0.1/32\")");
    }

    [Fact]
    public void Comparison_RequiresLongsOrMatchingTimeTypes()
    {
        EvalTrue("1 < 2");
        EvalTrue("2 >= 2");
        EvalError("\"a\" < \"b\"");
        EvalError("decimal(\"1.0\") < decimal(\"2.0\")");
        EvalTrue("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")");
        EvalTrue("duration(\"1h\") > duration(\"59m\")");
        EvalError("datetime(\"2024-01-01\") < duration(\"1h\")");
    }

    [Fact]
    public void Attributes_OnEntitiesAndRecords()
    {
        Eval("User::\"alice\".age", Store).ShouldBe(LongValue.Of(30));
        Eval("User::\"alice\"[\"name\"]", Store).ShouldBe(new StringValue("Alice"));
        EvalTrue("User::\"alice\".manager == User::\"bob\"", Store);
        EvalTrue("User::\"alice\" has age", Store);
        EvalFalse("User::\"alice\" has height", Store);
        EvalError("User::\"alice\".height", Store);
        EvalFalse("User::\"ghost\" has age", Store);
        EvalError("User::\"ghost\".age", Store);
        EvalTrue("{a: 1} has a");
        EvalError("{a: 1}.b");
        EvalError("1 has a");
    }

    [Fact]
    public void SetMethods_WorkAndCheckTypes()
    {
        EvalTrue("[1, 2].contains(2)");
        EvalTrue("[1, 2, 3].containsAll([1, 3])");
        EvalFalse("[1, 2].containsAll([1, 4])");
        EvalTrue("[1, 2].containsAny([4, 2])");
        EvalTrue("[].isEmpty()");
        EvalFalse("[1].isEmpty()");
        EvalError("1.contains(1)");
        EvalError("[1].containsAll(1)");
    }

    [Fact]
    public void Like_SupportsWildcardsAndEscapedStars()
    {
        EvalTrue("\"hello world\" like \"hello*\"");
        EvalTrue("\"hello world\" like \"*o w*\"");
        EvalFalse("\"hello\" like \"hello?\"");
        EvalTrue("\"a*b\" like \"a\\*b\"");
        EvalFalse("\"axb\" like \"a\\*b\"");
        EvalTrue("\"\" like \"*\"");
        EvalTrue("\"aaa\" like \"*a*a*a*\"");
        EvalFalse("\"aa\" like \"*a*a*a*\"");
        EvalError("1 like \"*\"");
    }

    [Fact]
    public void Is_ChecksEntityType()
    {
        EvalTrue("User::\"alice\" is User");
        EvalFalse("User::\"alice\" is Group");
        EvalTrue("User::\"alice\" is User in Group::\"all\"", Store);
        EvalFalse("User::\"alice\" is Group in Group::\"all\"", Store);
        EvalError("1 is User");
    }

    [Fact]
    public void Tags_HasTagAndGetTag()
    {
        EvalTrue("User::\"alice\".hasTag(\"level\")", Store);
        EvalFalse("User::\"alice\".hasTag(\"nope\")", Store);
        Eval("User::\"alice\".getTag(\"level\")", Store).ShouldBe(LongValue.Of(3));
        EvalError("User::\"alice\".getTag(\"nope\")", Store);
        EvalFalse("User::\"ghost\".hasTag(\"level\")", Store);
        EvalError("User::\"alice\".hasTag(1)", Store);
    }

    [Fact]
    public void Variables_ReadTheRequest()
    {
        EvalTrue("principal == User::\"alice\" && action == Action::\"view\" && resource == Photo::\"p1\"");
        var ctx = new RecordValue(new Dictionary<string, Value>(StringComparer.Ordinal) { ["ip"] = new StringValue("x") });
        Eval("context.ip", context: ctx).ShouldBe(new StringValue("x"));
    }
}
