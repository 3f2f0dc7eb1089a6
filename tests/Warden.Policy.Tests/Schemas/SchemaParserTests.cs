using Warden.Policy.Json;
using Warden.Policy.Parsing;
using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Tests.Schemas;

public sealed class SchemaParserTests
{
    private const string Schema = """
        namespace App {
          type Address = { street: String, zip?: Long };
          entity Group;
          entity User in [Group] = {
            name: String,
            age?: Long,
            home: Address,
            ip: ipaddr,
            score: __cedar::decimal,
            friends: Set<User>,
          } tags String;
          entity Color enum ["red", "green"];
          @doc("reads")
          action read;
          action view, edit in [read] appliesTo {
            principal: [User],
            resource: [Group, Color],
            context: { when: datetime, ttl?: duration }
          };
        }
        """;

    [Fact]
    public void Parse_ReadsEntitiesAttributesTagsAndEnums()
    {
        var s = CedarSchema.Parse(Schema);
        var user = s.EntityTypes["App::User"];
        user.MemberOfTypes.ShouldBe(["App::Group"]);
        user.Attributes.Attributes["name"].ShouldBe(new AttributeType(StringType.Instance, true));
        user.Attributes.Attributes["age"].Required.ShouldBeFalse();
        user.Attributes.Attributes["home"].Type.ShouldBeOfType<RecordType>().Attributes.Count.ShouldBe(2);
        user.Attributes.Attributes["ip"].Type.ShouldBe(ExtensionType.IpAddr);
        user.Attributes.Attributes["score"].Type.ShouldBe(ExtensionType.Decimal);
        user.Attributes.Attributes["friends"].Type.ShouldBe(new SetType(new EntityType("App::User")));
        user.Tags.ShouldBe(StringType.Instance);
        s.EntityTypes["App::Color"].EnumIds.ShouldBe(["red", "green"]);
        s.IsValidEntityUid(new EntityUid("App::Color", "red")).ShouldBeTrue();
        s.IsValidEntityUid(new EntityUid("App::Color", "blue")).ShouldBeFalse();
    }

    [Fact]
    public void Parse_ReadsActionsWithGroupsAndAppliesTo()
    {
        var s = CedarSchema.Parse(Schema);
        var view = s.Actions[new EntityUid("App::Action", "view")];
        view.PrincipalTypes.ShouldBe(["App::User"]);
        view.ResourceTypes.ShouldBe(["App::Group", "App::Color"]);
        view.Context.Attributes["when"].Type.ShouldBe(ExtensionType.Datetime);
        view.Context.Attributes["ttl"].Required.ShouldBeFalse();
        s.IsDescendantAction(view.Uid, new EntityUid("App::Action", "read")).ShouldBeTrue();
        s.ActionEntities().Single(e => e.Uid.Id == "edit").Parents.ShouldBe([new EntityUid("App::Action", "read")]);
    }

    [Fact]
    public void Parse_ReportsUndeclaredTypesWithPosition()
    {
        var ex = Should.Throw<ParseException>(() => CedarSchema.Parse("entity User in [Nope];"));
        ex.Error.Line.ShouldBe(1);
        ex.Error.Column.ShouldBe(17);
        CedarSchema.TryParse("entity A = { x: Unknown };", out _, out var err).ShouldBeFalse();
        err!.Message.ShouldContain("Unknown");
    }

    [Fact]
    public void ParseJson_ReadsTheJsonSchemaFormat()
    {
        var s = CedarSchema.ParseJson("""
            {"App": {
              "entityTypes": {
                "User": {"memberOfTypes": ["Group"], "shape": {"type": "Record", "attributes": {
                  "name": {"type": "String"}, "ip": {"type": "Extension", "name": "ipaddr", "required": false}}}},
                "Group": {}
              },
              "actions": {
                "view": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Group"],
                  "context": {"type": "Record", "attributes": {"n": {"type": "Long"}}}}}
              }
            }}
            """);
        s.EntityTypes["App::User"].Attributes.Attributes["ip"].ShouldBe(new AttributeType(ExtensionType.IpAddr, false));
        s.Actions[new EntityUid("App::Action", "view")].Context.Attributes["n"].Type.ShouldBe(LongType.Instance);
    }

    [Theory]
    [InlineData("{\"\": {\"entityTypes\": {\"A\": {\"memberOfTypes\": [null]}}}}")]
    [InlineData("{\"\": {\"entityTypes\": {\"A\": {\"shape\": {\"type\": \"Long\"}}}}}")]
    [InlineData("{\"\": {\"entityTypes\": {\"A\": {\"shape\": {\"type\": 5}}}}}")]
    [InlineData("{\"\": {\"actions\": {\"a\": {\"memberOf\": [{\"id\": 1}]}}}}")]
    [InlineData("{\"\": []}")]
    [InlineData("[]")]
    [InlineData("{")]
    public void ParseJson_MalformedSchemaGivesStructuredError(string json) =>
        Should.Throw<ParseException>(() => CedarSchema.ParseJson(json));

    [Fact]
    public void Parse_LongCommonTypeChainsFailCleanly()
    {
        var text = string.Concat(Enumerable.Range(0, 100_000).Select(i => $"type T{i} = T{i + 1};\n")) + "type T100000 = Long; entity A = { a: T0 };";
        Should.Throw<ParseException>(() => CedarSchema.Parse(text));
    }

    [Fact]
    public void Entities_AreInterpretedThroughTheSchema()
    {
        var s = CedarSchema.Parse(Schema);
        var store = CedarJson.ParseEntities("""
            [{"uid": {"type": "App::User", "id": "a"},
              "attrs": {"name": "A", "home": {"street": "s"}, "ip": "10.0.0.1", "score": "1.5", "friends": [{"type": "App::User", "id": "b"}]},
              "parents": [], "tags": {"t": "v"}}]
            """, s);
        store.TryGet(new EntityUid("App::User", "a"), out var a).ShouldBeTrue();
        a.Attributes["ip"].ShouldBeOfType<IpAddrValue>();
        a.Attributes["score"].ShouldBe(new DecimalValue(15000));
        ((SetValue)a.Attributes["friends"]).Items.Single().ShouldBe(new EntityUid("App::User", "b"));
        a.Tags["t"].ShouldBe(new StringValue("v"));
        store.TryGet(new EntityUid("App::Action", "view"), out var view).ShouldBeTrue();
        store.IsIn(view.Uid, new EntityUid("App::Action", "read")).ShouldBeTrue();
    }

    [Fact]
    public void Entities_MayRepeatSchemaActionsConsistently()
    {
        var s = CedarSchema.Parse(Schema);
        var store = CedarJson.ParseEntities("""[{"uid": {"type": "App::Action", "id": "view"}, "attrs": {}, "parents": [{"type": "App::Action", "id": "read"}]}]""", s);
        store.IsIn(new EntityUid("App::Action", "view"), new EntityUid("App::Action", "read")).ShouldBeTrue();
    }

    [Fact]
    public void Entities_ReadExplicitExtensionAndEntityEscapes()
    {
        var store = CedarJson.ParseEntities("""
            [{"uid": {"__entity": {"type": "E", "id": "1"}}, "parents": [],
              "attrs": {"d": {"__extn": {"fn": "decimal", "arg": "2.5"}}, "e": {"__entity": {"type": "E", "id": "2"}},
                        "o": {"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "1970-01-01"}}, {"__extn": {"fn": "duration", "arg": "1s"}}]}}}}]
            """);
        store.TryGet(new EntityUid("E", "1"), out var e).ShouldBeTrue();
        e.Attributes["d"].ShouldBe(new DecimalValue(25000));
        e.Attributes["e"].ShouldBe(new EntityUid("E", "2"));
        e.Attributes["o"].ShouldBe(new DatetimeValue(1000));
    }

    [Theory]
    [InlineData("""[{"uid": {"type": "App::Nope", "id": "a"}, "attrs": {}, "parents": []}]""")]
    [InlineData("""[{"uid": {"type": "App::Color", "id": "blue"}, "attrs": {}, "parents": []}]""")]
    [InlineData("""[{"uid": {"type": "App::Group", "id": "g"}, "attrs": {"extra": 1}, "parents": []}]""")]
    [InlineData("""[{"uid": {"type": "App::Group", "id": "g"}, "attrs": {}, "parents": [{"type": "App::Color", "id": "red"}]}]""")]
    [InlineData("""[{"uid": {"type": "App::Group", "id": "g"}, "attrs": {}, "parents": [], "tags": {"a": "b"}}]""")]
    [InlineData("""[{"uid": {"type": "App::User", "id": "u"}, "attrs": {"name": 1}, "parents": []}]""")]
    [InlineData("""[{"uid": {"type": "App::Action", "id": "nope"}, "attrs": {}, "parents": []}]""")]
    [InlineData("""[{"uid": {"type": "App::Action", "id": "view"}, "attrs": {}, "parents": []}]""")]
    public void Entities_ThatDoNotConformToTheSchemaAreRejected(string json)
    {
        var s = CedarSchema.Parse(Schema);
        Should.Throw<ParseException>(() => CedarJson.ParseEntities(json, s));
        CedarJson.ParseEntities(json, s, validate: false).Count.ShouldBeGreaterThan(0);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[1]")]
    [InlineData("[{\"uid\": {\"type\": 1, \"id\": \"x\"}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"a\": 1.5}}]")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"a\": {\"__extn\": {\"fn\": \"ip\", \"arg\": \"bad\"}}}}]")]
    [InlineData("[")]
    [InlineData("[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}}, {\"uid\": {\"type\": \"A\", \"id\": \"x\"}}]")]
    public void Entities_MalformedJsonGivesStructuredError(string json) =>
        Should.Throw<ParseException>(() => CedarJson.ParseEntities(json));
}
