using System.Diagnostics;
using System.Text;
using Warden.Policy.Json;
using Warden.Policy.Parsing;
using Warden.Policy.Schemas;
using Warden.Policy.Tests.Conformance;
using Warden.Policy.Validation;
using Warden.Policy.Values;
using Xunit.Abstractions;

namespace Warden.Policy.Tests.Fuzz;

/// <summary>
/// Feeds randomly mutated corpus files to every parser: malformed input must produce a structured
/// <see cref="ParseException"/>, never any other exception. Policies that still parse are also validated,
/// authorized and printed, which must not throw, and the printed text must parse back to the same policies.
/// </summary>
[Collection(CorpusCollection.Name)]
public sealed class ParserFuzzTests(CorpusFixture corpus, ITestOutputHelper output)
{
    private const int Seed = 20261122;
    private const string Punctuation = "(){}[]\"\\:;,.<>=!&|*-+@?";
    private const int Iterations = 60_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    private static readonly byte[][] Dictionary =
    [
        .. new[]
        {
            "(", ")", "[", "]", "{", "}", "\"", "\\", "\\u{", "::", ".", ",", ";", "&&", "||", "!", "-", "==", "<=", "in ", " has ",
            " like ", " is ", "if ", " then ", " else ", "*", "?principal", "@", "//", "\n", "9223372036854775808", "__cedar::",
            "Set<", ">", "?", "enum", "tags ", "__entity", "__extn", "null", "1.5", "-0", "\u00e9", "\uffff",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    [Fact]
    public void MutatedInputs_NeverCrashTheParsers()
    {
        var samples = corpus.Root is null ? BuiltInSamples() : CorpusSamples(corpus.Root);
        output.WriteLine(corpus.Root is null ? "shared Cedar corpus not found; fuzzing built-in samples" : $"fuzzing {samples.Count} corpus samples");

        var rng = new Random(Seed);
        var sw = Stopwatch.StartNew();
        var counts = new int[3];
        var parsedOk = 0;
        var i = 0;
        for (; i < Iterations && sw.Elapsed < Budget; i++)
        {
            var sample = samples[rng.Next(samples.Count)];
            var kind = rng.Next(3);
            counts[kind]++;
            var source = kind switch { 0 => sample.Policy, 1 => sample.Schema, _ => sample.Entities };
            var text = Encoding.UTF8.GetString(Mutate(source, rng));
            try
            {
                switch (kind)
                {
                    case 0:
                        var set = PolicySet.Parse(text);
                        parsedOk++;
                        Validator.Validate(set, sample.ParsedSchema);
                        var request = new AuthorizationRequest(new EntityUid("A", ""), new EntityUid("Action", "action"), new EntityUid("A", ""), RecordValue.Empty);
                        var response = Authorizer.IsAuthorized(request, set, Entities.EntityStore.Empty);

                        // Printing must round-trip: same text again and the same authorization outcome.
                        var printed = string.Join("\n", set.Policies.Select(p => p.ToString()));
                        var reparsed = PolicySet.Parse(printed);
                        string.Join("\n", reparsed.Policies.Select(p => p.ToString())).ShouldBe(printed);
                        var again = Authorizer.IsAuthorized(request, reparsed, Entities.EntityStore.Empty);
                        again.Decision.ShouldBe(response.Decision);
                        again.Errors.Count.ShouldBe(response.Errors.Count);
                        break;
                    case 1:
                        CedarSchema.Parse(text);
                        parsedOk++;
                        break;
                    default:
                        CedarJson.ParseEntities(text, sample.ParsedSchema);
                        parsedOk++;
                        break;
                }
            }
            catch (ParseException ex)
            {
                ex.Error.Message.ShouldNotBeNullOrEmpty();
            }
            catch (Exception ex)
            {
                throw new ShouldAssertException($"iteration {i} (kind {kind}) crashed with {ex.GetType().Name}: {ex.Message}\ninput:\n{text}", ex);
            }
        }

        output.WriteLine($"{i} mutations (policies {counts[0]}, schemas {counts[1]}, entities {counts[2]}) in {sw.Elapsed.TotalSeconds:F1}s; {parsedOk} still parsed");
        i.ShouldBeGreaterThan(1000);
    }

    [Fact]
    public void BuiltInSamples_AreWellFormedAndValid()
    {
        var (policy, _, entities, schema) = BuiltInSamples()[0];
        var set = PolicySet.Parse(Encoding.UTF8.GetString(policy));
        set.Policies.Count.ShouldBe(2);
        CedarJson.ParseEntities(Encoding.UTF8.GetString(entities), schema).Count.ShouldBeGreaterThan(2);
        var result = Validator.Validate(set, schema);
        result.Errors.ShouldBeEmpty(string.Join("; ", result.Errors));
    }

    private static List<(byte[] Policy, byte[] Schema, byte[] Entities, CedarSchema ParsedSchema)> CorpusSamples(string root)
    {
        var dir = Path.Combine(root, "corpus-tests");
        var bases = Directory.GetFiles(dir, "*.cedar").Order(StringComparer.Ordinal).Where((_, i) => i % 25 == 0)
            .Select(p => p[..^".cedar".Length]).ToList();
        return [.. bases.Select(b => (
            File.ReadAllBytes(b + ".cedar"),
            File.ReadAllBytes(b + ".cedarschema"),
            File.ReadAllBytes(b + ".entities.json"),
            CedarSchema.Parse(File.ReadAllText(b + ".cedarschema"))))];
    }

    private static List<(byte[] Policy, byte[] Schema, byte[] Entities, CedarSchema ParsedSchema)> BuiltInSamples()
    {
        const string Schema = """
            namespace A {
              type Ctx = { ip: ipaddr, when?: datetime };
              entity G;
              entity U in [G] = { n: Long, s?: String, d: decimal, t: Set<String> } tags Long;
              entity E enum ["a", "b"];
              action act appliesTo { principal: [U], resource: [U, E], context: Ctx };
            }
            """;
        const string Policy = """
            @id("p") permit(principal in A::G::"g", action == A::Action::"act", resource is A::U)
            when { principal.n + 1 > 2 && (principal has s && principal.s like "a*\*") && principal.d.lessThan(decimal("1.5")) }
            unless { context.ip.isInRange(ip("10.0.0.0/8")) || (context has when && context.when < datetime("2024-01-01T00:00:00Z").offset(duration("1d2h"))) };
            forbid(principal, action, resource) when { if principal.hasTag("k") then principal.getTag("k") == 3 else [1, 2].containsAny([-3]) };
            """;
        const string Entities = """
            [{"uid": {"type": "A::U", "id": "u"}, "attrs": {"n": 1, "d": "1.0", "t": ["x"], "s": "ab"}, "parents": [{"type": "A::G", "id": "g"}], "tags": {"k": 3}},
             {"uid": {"type": "A::G", "id": "g"}, "attrs": {}, "parents": []}]
            """;
        return [(Encoding.UTF8.GetBytes(Policy), Encoding.UTF8.GetBytes(Schema), Encoding.UTF8.GetBytes(Entities), CedarSchema.Parse(Schema))];
    }

    private static byte[] Mutate(byte[] input, Random rng)
    {
        var data = new List<byte>(input);
        var ops = rng.Next(4) == 0 ? 2 + rng.Next(3) : 1;
        for (var k = 0; k < ops; k++)
        {
            var pos = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(6))
            {
                case 0 when data.Count > 0:
                    data[pos] = (byte)rng.Next(256);
                    break;
                case 1 when data.Count > 0:
                    data.RemoveRange(pos, Math.Min(data.Count - pos, 1 + rng.Next(8)));
                    break;
                case 2:
                    data.InsertRange(pos, Dictionary[rng.Next(Dictionary.Length)]);
                    break;
                case 3 when data.Count > 0:
                    {
                        var len = Math.Min(data.Count - pos, 1 + rng.Next(32));
                        var slice = data.GetRange(pos, len);
                        data.InsertRange(rng.Next(data.Count), slice);
                        break;
                    }

                case 4 when data.Count > 0:
                    data.RemoveRange(pos, data.Count - pos);
                    break;
                default:
                    data.Insert(pos, (byte)Punctuation[rng.Next(Punctuation.Length)]);
                    break;
            }
        }

        return [.. data];
    }
}
