using System.Text.Json;
using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Verification;

namespace Warden.Audit.Storage;

/// <summary>
/// A test-framework-neutral conformance check for <see cref="IAuditLedgerStore"/> implementations. Call it from one
/// test in the store's test project and assert the returned list is empty:
/// <code>
/// var failures = await AuditLedgerStoreConformance.CheckAsync(() => CreateEmptyStoreAsync());
/// failures.ShouldBeEmpty();
/// </code>
/// It checks: empty-store behaviour, byte-exact round-trips of awkward events (Unicode, control characters,
/// extreme numbers and decimals, optional fields absent and present), inclusive range reads, the chain-continuation
/// conflict check (nothing written on conflict), checkpoints round-trips and range reads, and that a ledger written
/// through <see cref="AuditWriter"/> verifies. Atomicity under crashes and durability cannot be checked generically.
/// </summary>
public static class AuditLedgerStoreConformance
{
    private const string LedgerId = "conformance";

    /// <summary>Runs every check against fresh stores from <paramref name="createEmptyStore"/>; returns failure descriptions.</summary>
    public static async Task<IReadOnlyList<string>> CheckAsync(Func<Task<IAuditLedgerStore>> createEmptyStore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createEmptyStore);
        var failures = new List<string>();
        (string Name, Func<IAuditLedgerStore, List<string>, CancellationToken, Task> Check)[] checks =
        [
            ("empty store", CheckEmptyAsync),
            ("round trip", CheckRoundTripAsync),
            ("range reads", CheckRangesAsync),
            ("conflicts", CheckConflictsAsync),
            ("checkpoints", CheckCheckpointsAsync),
        ];
        foreach (var (name, check) in checks)
        {
            var store = await createEmptyStore().ConfigureAwait(false);
            try
            {
                var local = new List<string>();
                await check(store, local, cancellationToken).ConfigureAwait(false);
                failures.AddRange(local.Select(f => $"{name}: {f}"));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add($"{name}: threw {ex.GetType().Name}: {ex.Message}");
            }
            finally
            {
                switch (store)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
        }

        return failures;
    }

    /// <summary>
    /// Checks an <see cref="IAuditQueryStore"/> against <see cref="AuditQueryMatcher"/>: writes a varied ledger, runs a
    /// set of queries (filters, prefixes, time bounds, cursors, both orders, limits) and compares results by sequence.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CheckQueriesAsync<TStore>(Func<Task<TStore>> createEmptyStore, CancellationToken cancellationToken = default)
        where TStore : IAuditLedgerStore, IAuditQueryStore
    {
        ArgumentNullException.ThrowIfNull(createEmptyStore);
        var failures = new List<string>();
        var store = await createEmptyStore().ConfigureAwait(false);
        try
        {
            var drafts = Enumerable.Range(0, 60).Select(i => AwkwardDrafts()[i % 6] with
            {
                OrgId = i % 3 == 0 ? "org-a" : "org-b",
                Action = (i % 4) switch { 0 => "token.create", 1 => "token.revoke", 2 => "tokens.list", _ => "auth.login" },
            }).ToList();
            var (key, events) = await WriteAsync(store, drafts, checkpoint: false, cancellationToken).ConfigureAwait(false);
            key.Dispose();
            var middleTime = events[30].Timestamp;
            AuditQuery[] queries =
            [
                new() { Limit = 1000 },
                new() { OrgId = "org-a", Limit = 1000 },
                new() { Action = "token.*", Limit = 1000 },
                new() { Action = "tokens.list", Limit = 1000 },
                new() { ActorKind = ActorKind.AgentSession, Limit = 1000 },
                new() { ActorId = "sess-1", Limit = 1000 },
                new() { OnBehalfOf = "user-1", Limit = 1000 },
                new() { Outcome = AuditOutcome.Denied, Limit = 1000 },
                new() { ResourceType = "tool", ResourceId = "bash", Limit = 1000 },
                new() { SessionId = "conv-1", Limit = 1000 },
                new() { TraceId = "4bf92f3577b34da6a3ce929d0e0e4736", Limit = 1000 },
                new() { From = middleTime, Limit = 1000 },
                new() { Until = middleTime, Limit = 1000 },
                new() { AfterSequence = 10, BeforeSequence = 20, Limit = 1000 },
                new() { Limit = 7 },
                new() { Descending = true, Limit = 7 },
                new() { Descending = true, BeforeSequence = 50, OrgId = "org-b", Limit = 5 },
                new() { OrgId = "org-a", Action = "token.*", Outcome = AuditOutcome.Success, Limit = 1000 },
                new() { OrgId = "nobody", Limit = 10 },
            ];
            foreach (var query in queries)
            {
                var ordered = query.Descending ? Enumerable.Reverse(events) : events;
                var expected = ordered.Where(e => AuditQueryMatcher.Matches(query, e)).Take(query.Limit).Select(e => e.Sequence).ToArray();
                var actual = (await ToListAsync(store.QueryAsync(query, cancellationToken), cancellationToken).ConfigureAwait(false)).Select(e => e.Sequence).ToArray();
                if (!actual.SequenceEqual(expected))
                {
                    failures.Add($"{query} returned [{string.Join(",", actual)}], expected [{string.Join(",", expected)}].");
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failures.Add($"queries: threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        return failures;
    }

    /// <summary>Drafts with content that commonly trips up storage layers.</summary>
    public static IReadOnlyList<AuditEventDraft> AwkwardDrafts()
    {
        static JsonElement Json(string json)
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
            return JsonElement.ParseValue(ref reader);
        }

        return
        [
            new AuditEventDraft { OrgId = "o", Actor = new AuditActor(ActorKind.System, "s"), Action = "system.start" },
            new AuditEventDraft
            {
                OrgId = "org-é-日本-😀",
                Actor = new AuditActor(ActorKind.AgentSession, "sess-1", "Claude \"Code\" \\ \t\n\u0001"),
                OnBehalfOf = "user-1",
                Source = new AuditSource("anthropic", "claude-code", "conv-1", "ext-1"),
                Action = "tool.call",
                Resource = new AuditResource("tool", "bash"),
                Policy = new PolicyDecision { Effect = PolicyEffect.Deny, PolicySetVersion = "v1", DeterminingPolicies = ["p1", "p2"], ErroringPolicies = ["p3"] },
                Outcome = AuditOutcome.Denied,
                Details = Json("""{"z":[1,-0,0.1,1e20,12345678901234567,-9223372036854775808,true,false,null,"\u2028<>&'"],"a":{"nested":{"deep":"日本"}},"e":"","😀":1}"""),
                Cost = new AuditCost(-79228162514264337593543950335m, "USD"),
                TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
                SpanId = "00f067aa0ba902b7",
            },
            new AuditEventDraft
            {
                OrgId = "o",
                Actor = new AuditActor(ActorKind.ApiKey, "key-1"),
                Action = "token.create",
                Policy = new PolicyDecision { Effect = PolicyEffect.Allow, PolicySetVersion = "" },
                Outcome = AuditOutcome.Error,
                Details = Json("{}"),
                Cost = new AuditCost(0.0000000000000000000000000001m, "tokens"),
            },
            new AuditEventDraft { OrgId = "o", Actor = new AuditActor(ActorKind.Worker, "w", ""), Resource = new AuditResource("repo", ""), Action = "model.invoke", Outcome = AuditOutcome.Failure },
            new AuditEventDraft { OrgId = "o", Actor = new AuditActor(ActorKind.ExternalTool, "t"), Source = new AuditSource("openai", "codex"), Action = "auth.login" },
            new AuditEventDraft { OrgId = "o", Actor = new AuditActor(ActorKind.User, "u"), Action = "auth.logout" },
        ];
    }

    private static async Task<(AuditSigningKey Key, List<AuditEvent> Events)> WriteAsync(IAuditLedgerStore store, IReadOnlyList<AuditEventDraft> drafts, bool checkpoint, CancellationToken cancellationToken)
    {
        var key = AuditSigningKey.Generate();
        var options = new AuditWriterOptions { LedgerId = LedgerId, CheckpointEveryEvents = 0, CheckpointInterval = TimeSpan.Zero };
        var writer = await AuditWriter.StartAsync(store, options, checkpoint ? new AuditKeyring(key) : null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            var events = new List<AuditEvent>();
            foreach (var draft in drafts)
            {
                events.Add(await writer.AppendAsync(draft, cancellationToken).ConfigureAwait(false));
                if (checkpoint && events.Count % 2 == 0)
                {
                    await writer.CheckpointAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return (key, events);
        }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            list.Add(item);
        }

        return list;
    }

    private static async Task CheckEmptyAsync(IAuditLedgerStore store, List<string> failures, CancellationToken cancellationToken)
    {
        if (await store.GetHeadAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
            failures.Add("GetHeadAsync on an empty store must return null.");
        }

        if (await store.GetLastCheckpointAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
            failures.Add("GetLastCheckpointAsync on an empty store must return null.");
        }

        if ((await ToListAsync(store.ReadEventsAsync(1, long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false)).Count != 0)
        {
            failures.Add("ReadEventsAsync on an empty store must yield nothing.");
        }
    }

    private static async Task CheckRoundTripAsync(IAuditLedgerStore store, List<string> failures, CancellationToken cancellationToken)
    {
        var (key, written) = await WriteAsync(store, AwkwardDrafts(), checkpoint: true, cancellationToken).ConfigureAwait(false);
        using (key)
        {
            var read = await ToListAsync(store.ReadEventsAsync(1, long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (read.Count != written.Count)
            {
                failures.Add($"Wrote {written.Count} events, read back {read.Count}.");
                return;
            }

            for (var i = 0; i < read.Count; i++)
            {
                var expected = AuditCanonicalJson.EncodeEvent(written[i]);
                var actual = AuditCanonicalJson.EncodeEvent(read[i]);
                if (!expected.AsSpan().SequenceEqual(actual))
                {
                    failures.Add($"Event {written[i].Sequence} did not round-trip. Wrote {System.Text.Encoding.UTF8.GetString(expected)} read {System.Text.Encoding.UTF8.GetString(actual)}");
                }

                if (read[i].Hash != written[i].Hash || read[i].PreviousHash != written[i].PreviousHash)
                {
                    failures.Add($"Event {written[i].Sequence} hashes did not round-trip.");
                }
            }

            var head = await store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
            if (head is null || head.LastSequence != written[^1].Sequence || head.LastHash != written[^1].Hash)
            {
                failures.Add("GetHeadAsync does not return the last event's sequence and hash.");
            }

            var report = await LedgerVerifier.VerifyStoreAsync(store, LedgerId, new AuditPublicKeySet([key.PublicKey]), cancellationToken).ConfigureAwait(false);
            if (!report.IsIntact)
            {
                failures.Add($"Ledger does not verify: {report.Problem}");
            }
        }
    }

    private static async Task CheckRangesAsync(IAuditLedgerStore store, List<string> failures, CancellationToken cancellationToken)
    {
        var drafts = Enumerable.Range(0, 10).Select(i => AwkwardDrafts()[i % 6]).ToList();
        var (key, _) = await WriteAsync(store, drafts, checkpoint: false, cancellationToken).ConfigureAwait(false);
        key.Dispose();
        (long From, long To, long[] Expected)[] cases =
        [
            (1, 10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            (3, 5, [3, 4, 5]),
            (7, 7, [7]),
            (9, long.MaxValue, [9, 10]),
            (11, 20, []),
            (5, 4, []),
        ];
        foreach (var (from, to, expected) in cases)
        {
            var sequences = (await ToListAsync(store.ReadEventsAsync(from, to, cancellationToken), cancellationToken).ConfigureAwait(false)).Select(e => e.Sequence).ToArray();
            if (!sequences.SequenceEqual(expected))
            {
                failures.Add($"ReadEventsAsync({from}, {to}) returned [{string.Join(",", sequences)}], expected [{string.Join(",", expected)}].");
            }
        }
    }

    private static async Task CheckConflictsAsync(IAuditLedgerStore store, List<string> failures, CancellationToken cancellationToken)
    {
        var (key, written) = await WriteAsync(store, AwkwardDrafts().Take(3).ToList(), checkpoint: false, cancellationToken).ConfigureAwait(false);
        key.Dispose();
        var last = written[^1];
        var next = last with { Sequence = last.Sequence + 1, PreviousHash = last.Hash };
        next = next with { Hash = AuditCanonicalJson.ComputeEventHash(next) };
        (string Name, AuditEvent[] Batch)[] bad =
        [
            ("a batch repeating the last sequence", [last]),
            ("a batch skipping a sequence", [next with { Sequence = last.Sequence + 2 }]),
            ("a batch not chained to the head hash", [next with { PreviousHash = written[0].Hash }]),
            ("a batch whose first event conflicts (second is fine)", [written[1], next]),
        ];
        foreach (var (name, batch) in bad)
        {
            try
            {
                await store.AppendAsync(batch, cancellationToken).ConfigureAwait(false);
                failures.Add($"AppendAsync accepted {name}; it must throw AuditStoreConflictException.");
            }
            catch (AuditStoreConflictException)
            {
                // Expected.
            }

            var head = await store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
            if (head is null || head.LastSequence != last.Sequence || head.LastHash != last.Hash)
            {
                failures.Add($"After rejecting {name} the head changed.");
            }
        }

        await store.AppendAsync([next], cancellationToken).ConfigureAwait(false);
        var after = await store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        if (after?.LastSequence != next.Sequence)
        {
            failures.Add("A correct batch after rejected ones was not appended.");
        }

        var count = (await ToListAsync(store.ReadEventsAsync(1, long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false)).Count;
        if (count != written.Count + 1)
        {
            failures.Add($"Rejected batches left events behind: {count} stored, expected {written.Count + 1}.");
        }
    }

    private static async Task CheckCheckpointsAsync(IAuditLedgerStore store, List<string> failures, CancellationToken cancellationToken)
    {
        var drafts = Enumerable.Range(0, 6).Select(i => AwkwardDrafts()[i]).ToList();
        var (key, _) = await WriteAsync(store, drafts, checkpoint: true, cancellationToken).ConfigureAwait(false);
        using (key)
        {
            var all = await ToListAsync(store.ReadCheckpointsAsync(1, long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false);
            var ranges = string.Join(",", all.Select(c => $"[{c.FromSequence},{c.ToSequence}]"));
            if (ranges != "[1,2],[3,4],[5,6]")
            {
                failures.Add($"ReadCheckpointsAsync returned {ranges}, expected [1,2],[3,4],[5,6].");
            }

            foreach (var checkpoint in all)
            {
                if (!key.PublicKey.Verify(AuditCanonicalJson.EncodeCheckpoint(checkpoint), checkpoint.Signature.Span))
                {
                    failures.Add($"Checkpoint [{checkpoint.FromSequence},{checkpoint.ToSequence}] did not round-trip (signature no longer verifies).");
                }
            }

            var middle = await ToListAsync(store.ReadCheckpointsAsync(3, 5, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (middle.Count != 1 || middle[0].ToSequence != 4)
            {
                failures.Add("ReadCheckpointsAsync(3, 5) must return only the checkpoint ending at 4.");
            }

            var last = await store.GetLastCheckpointAsync(cancellationToken).ConfigureAwait(false);
            if (last?.ToSequence != 6)
            {
                failures.Add("GetLastCheckpointAsync must return the checkpoint with the highest ToSequence.");
                return;
            }

            // A writer with a stale view (another replica sealed meanwhile) must be refused, not stored out of order.
            (string Name, AuditCheckpoint Checkpoint)[] stale =
            [
                ("a checkpoint repeating a sealed range", all[1]),
                ("a checkpoint starting inside a sealed range", last with { FromSequence = 4, ToSequence = 7 }),
                ("a checkpoint leaving a gap", last with { FromSequence = 9, ToSequence = 10 }),
            ];
            foreach (var (name, checkpoint) in stale)
            {
                try
                {
                    await store.AppendCheckpointAsync(checkpoint, cancellationToken).ConfigureAwait(false);
                    failures.Add($"AppendCheckpointAsync accepted {name}; it must throw AuditStoreConflictException.");
                }
                catch (AuditStoreConflictException)
                {
                    // Expected.
                }
            }

            var after = await ToListAsync(store.ReadCheckpointsAsync(1, long.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (after.Count != all.Count || (await store.GetLastCheckpointAsync(cancellationToken).ConfigureAwait(false))?.ToSequence != 6)
            {
                failures.Add("Rejected checkpoints were stored.");
            }
        }
    }
}
