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
        if (corpus.Root is null)
        {
            output.WriteLine("shared Cedar corpus not found; skipping");
            return;
        }

        var dir = Path.Combine(corpus.Root, "corpus-tests");
        var bases = Directory.GetFiles(dir, "*.cedar").Order(StringComparer.Ordinal).Where((_, i) => i % 25 == 0)
            .Select(p => p[..^".cedar".Length]).ToList();
        var samples = bases.Select(b => (
            Policy: File.ReadAllBytes(b + ".cedar"),
            Schema: File.ReadAllBytes(b + ".cedarschema"),
            Entities: File.ReadAllBytes(b + ".entities.json"),
            ParsedSchema: CedarSchema.Parse(File.ReadAllText(b + ".cedarschema")))).ToList();

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
