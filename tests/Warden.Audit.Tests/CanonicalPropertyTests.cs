using System.Globalization;
using System.Text;
using Warden.Audit.Canonical;
using Warden.Audit.Storage;

namespace Warden.Audit.Tests;

public sealed class CanonicalPropertyTests
{
    private static readonly string[] Keys = ["a", "b", "Z", "é", "日本", "k\"q", "k\\b", "tab\t", "a.b", "", "😀", "x-y"];

    private static string RandomJson(Random random, int depth)
    {
        var choice = depth > 3 ? random.Next(4) : random.Next(7);
        switch (choice)
        {
            case 0:
                return RandomNumber(random);
            case 1:
                return JsonString(RandomText(random));
            case 2:
                return random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" };
            case 3:
                return random.Next(2) == 0 ? " 1.0e0 " : "-0";
            case 4:
                return "[" + string.Join(" , ", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth + 1))) + "]";
            default:
                var keys = Keys.OrderBy(_ => random.Next()).Take(random.Next(1, 6));
                return "{" + string.Join(",", keys.Select(k => JsonString(k) + " : " + RandomJson(random, depth + 1))) + "}";
        }
    }

    private static string RandomNumber(Random random) => random.Next(6) switch
    {
        0 => random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        1 => (random.NextDouble() * Math.Pow(10, random.Next(-20, 20))).ToString("R", CultureInfo.InvariantCulture),
        2 => random.Next(1000) + ".500",
        3 => random.Next(1, 9) + "e" + random.Next(-30, 30),
        4 => "12345678901234567890123",
        _ => "-" + random.Next(100),
    };

    private static string RandomText(Random random)
    {
        var alphabet = "ab\"\\/\n\t\u0001é日😀 <>&\u2028";
        var sb = new StringBuilder();
        var length = random.Next(8);
        for (var i = 0; i < length; i++)
        {
            var start = random.Next(alphabet.Length);
            if (char.IsHighSurrogate(alphabet[start]))
            {
                sb.Append(alphabet, start, 2);
            }
            else if (!char.IsLowSurrogate(alphabet[start]))
            {
                sb.Append(alphabet[start]);
            }
        }

        return sb.ToString();
    }

    private static string JsonString(string value)
    {
        // Deliberately escape differently from the canonical form (\u escapes for non-ASCII) to exercise normalisation.
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or > '~' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    private static AuditEvent WithDetails(string json) => new()
    {
        Sequence = 1,
        Timestamp = DateTimeOffset.UnixEpoch,
        OrgId = "o",
        Actor = new AuditActor(ActorKind.System, "s"),
        Source = AuditSource.Warden,
        Action = "a.b",
        Outcome = AuditOutcome.Success,
        Details = TestData.Json(json),
        PreviousHash = default,
        Hash = default,
    };

    [Fact]
    public void Canonicalisation_IsIdempotentAndParsesBackForRandomDetails()
    {
        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var json = "{" + string.Join(",", Keys.OrderBy(_ => random.Next()).Take(random.Next(1, 5)).Select(k => JsonString(k) + ":" + RandomJson(random, 0))) + "}";

            var first = AuditCanonicalJson.EncodeEvent(WithDetails(json));
            var reparsed = AuditEventReader.Parse(first, default, default);
            var second = AuditCanonicalJson.EncodeEvent(reparsed);

            second.ShouldBe(first, json);
        }
    }

    [Fact]
    public void Canonicalisation_OrdersShuffledKeysAsTheSortedInputWouldBe()
    {
        // Keys with nothing to unescape take the in-place insertion sort; their order must match input that is
        // already sorted by UTF-8 bytes (written straight through) at every nesting level.
        string[] keys = ["a", "b", "Z", "é", "日本", "a.b", "", "😀", "x-y", "aa", "a-", "ab"];
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var chosen = keys.OrderBy(_ => random.Next()).Take(random.Next(1, keys.Length + 1)).ToArray();
            var values = chosen.ToDictionary(k => k, _ => random.Next(3) == 0 ? "{\"y\":1,\"x\":[2,{\"q\":1,\"p\":2}]}" : RandomJson(random, 2));
            var sorted = chosen.OrderBy(k => Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToArray();
            string Object(IEnumerable<string> order) => "{" + string.Join(",", order.Select(k => JsonString(k) + ":" + values[k])) + "}";

            var shuffled = AuditCanonicalJson.EncodeEvent(WithDetails(Object(chosen)));
            var inOrder = AuditCanonicalJson.EncodeEvent(WithDetails(Object(sorted)));

            Encoding.UTF8.GetString(shuffled).ShouldBe(Encoding.UTF8.GetString(inOrder));
        }
    }

    [Fact]
    public async Task Writer_RejectsLoneSurrogatesOutsideDetails()
    {
        await using var writer = await AuditWriter.StartAsync(new InMemoryAuditLedgerStore(), TestData.Options(), timeProvider: new FakeTimeProvider());

        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0) with { Actor = new AuditActor(ActorKind.User, "u\uD800") }));
    }

    [Fact]
    public async Task Writer_RejectsDetailsWithEscapedLoneSurrogates()
    {
        await using var writer = await AuditWriter.StartAsync(new InMemoryAuditLedgerStore(), TestData.Options(), timeProvider: new FakeTimeProvider());

        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0, """{"s":"x\ud800y"}""")));
    }
}
