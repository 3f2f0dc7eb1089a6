using System.Text.Json;
using Warden.Audit.Signing;
using Warden.Audit.Storage;

namespace Warden.Audit.Tests;

internal static class TestData
{
    public const string LedgerId = "ledger-test";

    public static AuditEventDraft Draft(int i = 0, string? detailsJson = null) => new()
    {
        OrgId = "org-1",
        Actor = new AuditActor(ActorKind.AgentSession, $"sess-{i % 7}", "Claude Code"),
        OnBehalfOf = "user-42",
        Source = new AuditSource("anthropic", "claude-code", $"conv-{i % 3}"),
        Action = (i % 4) switch { 0 => "model.invoke", 1 => "tool.call", 2 => "auth.login", _ => "token.create" },
        Resource = new AuditResource("repository", $"repo-{i % 5}"),
        Policy = i % 2 == 0
            ? new PolicyDecision { Effect = PolicyEffect.Allow, PolicySetVersion = "v12", DeterminingPolicies = ["p-allow-read"] }
            : null,
        Outcome = i % 9 == 0 ? AuditOutcome.Denied : AuditOutcome.Success,
        Details = Json(detailsJson ?? $$"""{"gen_ai.request.model":"claude-sonnet-4","gen_ai.usage.input_tokens":{{i}},"gen_ai.usage.output_tokens":{{i * 2}},"note":"event {{i}}"}"""),
        Cost = new AuditCost(0.0125m + i, "USD"),
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        SpanId = "00f067aa0ba902b7",
    };

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static AuditWriterOptions Options(int checkpointEvery = 100) => new()
    {
        LedgerId = LedgerId,
        CheckpointEveryEvents = checkpointEvery,
        CheckpointInterval = TimeSpan.Zero,
        MaxBatchSize = 64,
    };

    /// <summary>A store holding <paramref name="count"/> events with checkpoints every <paramref name="checkpointEvery"/>.</summary>
    public static async Task<InMemoryAuditLedgerStore> LedgerAsync(int count, AuditKeyring keyring, int checkpointEvery = 100)
    {
        var store = new InMemoryAuditLedgerStore();
        var writer = await AuditWriter.StartAsync(store, Options(checkpointEvery), keyring, new FakeTimeProvider());
        var tasks = new List<Task<AuditEvent>>(count);
        for (var i = 0; i < count; i++)
        {
            tasks.Add(writer.AppendAsync(Draft(i)));
        }

        await Task.WhenAll(tasks);
        await writer.StopAsync();
        return store;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition not met before the deadline.");
            }

            await Task.Delay(5);
        }
    }
}
