using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Storage;
using Warden.Audit.Verification;

namespace Warden.Audit.Tests;

public sealed class VerifierTests : IAsyncLifetime
{
    private readonly AuditSigningKey _key = AuditSigningKey.Generate();
    private AuditKeyring _keyring = null!;
    private InMemoryAuditLedgerStore _store = null!;

    private AuditPublicKeySet Keys => AuditPublicKeySet.From(_keyring);

    public async Task InitializeAsync()
    {
        _keyring = new AuditKeyring(_key);
        _store = await TestData.LedgerAsync(250, _keyring, checkpointEvery: 50);
    }

    public Task DisposeAsync()
    {
        _key.Dispose();
        return Task.CompletedTask;
    }

    private Task<VerificationReport> VerifyAsync() => LedgerVerifier.VerifyStoreAsync(_store, TestData.LedgerId, Keys);

    [Fact]
    public async Task Verify_ReportsAnIntactLedger()
    {
        var report = await VerifyAsync();

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(250);
        report.CheckpointsVerified.ShouldBe(_store.Checkpoints.Count);
        report.LastSequence.ShouldBe(250);
        report.UnanchoredEvents.ShouldBe(0);
    }

    [Theory]
    [InlineData("intact")]
    [InlineData("modified")]
    [InlineData("deleted")]
    [InlineData("swapped")]
    [InlineData("rechained")]
    public void AddEncodedEvents_HashingInParallel_FindsWhatOneByOneFinds(string attack)
    {
        // Large enough runs to be hashed on several threads: the report must not depend on how the work was split.
        var events = _store.Events.Select(e => new EncodedAuditEvent(e.Sequence, e.PreviousHash, e.Hash, AuditCanonicalJson.EncodeEvent(e))).ToList();
        switch (attack)
        {
            case "modified":
                events[173] = events[173] with { Canonical = AuditCanonicalJson.EncodeEvent(_store.Events[173] with { Action = "auth.logout" }) };
                break;
            case "deleted":
                events.RemoveAt(201);
                break;
            case "swapped":
                (events[130], events[131]) = (events[131], events[130]);
                break;
            case "rechained":
                events[77] = events[77] with { PreviousHash = events[10].Hash };
                break;
        }

        var oneByOne = new LedgerVerifier(TestData.LedgerId, Keys);
        var inRuns = new LedgerVerifier(TestData.LedgerId, Keys);
        foreach (var checkpoint in _store.Checkpoints)
        {
            oneByOne.AddCheckpoint(checkpoint);
            inRuns.AddCheckpoint(checkpoint);
        }

        foreach (var e in events)
        {
            oneByOne.AddEncodedEvent(e.Sequence, e.PreviousHash, e.Hash, e.Canonical.Span);
        }

        var all = events.ToArray();
        inRuns.AddEncodedEvents(all.AsMemory(0, 150));
        inRuns.AddEncodedEvents(all.AsMemory(150));

        var expected = oneByOne.Complete();
        var actual = inRuns.Complete();
        actual.IsIntact.ShouldBe(attack == "intact");
        actual.Problem.ShouldBe(expected.Problem);
        actual.EventsVerified.ShouldBe(expected.EventsVerified);
        actual.CheckpointsVerified.ShouldBe(expected.CheckpointsVerified);
    }

    [Fact]
    public async Task Verify_DetectsAModifiedEvent()
    {
        _store.Tamper(events => { events[99] = events[99] with { Outcome = AuditOutcome.Failure }; return events; });

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.Modified);
        problem.Sequence.ShouldBe(100);
    }

    [Fact]
    public async Task Verify_DetectsARewrittenChainThroughTheCheckpoint()
    {
        // The attacker edits event 120 and recomputes every later hash: only the signed checkpoint gives it away.
        _store.Tamper(events =>
        {
            var previous = events[118].Hash;
            for (var i = 119; i < events.Count; i++)
            {
                var edited = events[i] with { PreviousHash = previous, Actor = i == 119 ? new AuditActor(ActorKind.User, "someone-else") : events[i].Actor };
                edited = edited with { Hash = AuditCanonicalJson.ComputeEventHash(edited) };
                events[i] = edited;
                previous = edited.Hash;
            }

            return events;
        });

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.CheckpointMismatch);
        problem.Sequence.ShouldBe(_store.Checkpoints.First(c => c.ToSequence >= 120).ToSequence);
    }

    [Fact]
    public async Task Verify_DetectsADeletedEvent()
    {
        _store.Tamper(events => { events.RemoveAt(60); return events; });

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.Deleted);
        problem.Sequence.ShouldBe(61);
    }

    [Fact]
    public async Task Verify_DetectsAnInsertedEvent()
    {
        _store.Tamper(events => { events.Insert(31, events[30] with { }); return events; });

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.Inserted);
        problem.Sequence.ShouldBe(31);
    }

    [Fact]
    public async Task Verify_DetectsReorderedEvents()
    {
        _store.Tamper(events => { (events[10], events[11]) = (events[11], events[10]); return events; });

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.Reordered);
        problem.Sequence.ShouldBe(11);
    }

    [Fact]
    public async Task Verify_DetectsATailTruncatedPastACheckpoint()
    {
        _store.Tamper(events => events.Take(180).ToList());

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.TruncatedTail);
        problem.Sequence.ShouldBe(181);
    }

    [Fact]
    public async Task Verify_DetectsAForgedCheckpointSignature()
    {
        var store = new InMemoryAuditLedgerStore();
        foreach (var e in _store.Events)
        {
            await store.AppendAsync([e]);
        }

        var checkpoints = _store.Checkpoints;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var checkpoint = checkpoints[i];
            if (i == 2)
            {
                var signature = checkpoint.Signature.ToArray();
                signature[5] ^= 1;
                checkpoint = checkpoint with { Signature = signature };
            }

            await store.AppendCheckpointAsync(checkpoint);
        }

        var problem = (await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, Keys)).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.BadCheckpointSignature);
        problem.Sequence.ShouldBe(checkpoints[2].ToSequence);
    }

    [Fact]
    public async Task Verify_ReportsAnUnencodableStoredEventInsteadOfThrowing()
    {
        _store.Tamper(events => { events[5] = events[5] with { Outcome = (AuditOutcome)99 }; return events; });

        var problem = (await VerifyAsync()).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBe(VerificationProblemKind.Modified);
        problem.Sequence.ShouldBe(6);
    }

    [Fact]
    public async Task Verify_RejectsAChainFromAnotherLedger()
    {
        var problem = (await LedgerVerifier.VerifyStoreAsync(_store, "another-ledger", Keys)).Problem.ShouldNotBeNull();

        problem.Kind.ShouldBeOneOf(VerificationProblemKind.ChainBroken, VerificationProblemKind.CheckpointMismatch);
    }

    [Fact]
    public async Task Verify_ReportsEventsNotYetCoveredByACheckpoint()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 10), _keyring, new FakeTimeProvider());
        for (var i = 0; i < 15; i++)
        {
            await writer.AppendAsync(TestData.Draft(i));
        }

        var report = await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, Keys);

        report.IsIntact.ShouldBeTrue();
        report.UnanchoredEvents.ShouldBe(5);
    }
}
