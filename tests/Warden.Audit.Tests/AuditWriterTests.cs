using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Storage;
using Warden.Audit.Verification;

namespace Warden.Audit.Tests;

public sealed class AuditWriterTests : IDisposable
{
    private readonly AuditSigningKey _key = AuditSigningKey.Generate();
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Append_AssignsContiguousSequencesAndChainsHashes()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);

        var first = await writer.AppendAsync(TestData.Draft(0));
        var second = await writer.AppendAsync(TestData.Draft(1));

        first.Sequence.ShouldBe(1);
        first.PreviousHash.ShouldBe(AuditCanonicalJson.ComputeGenesis(TestData.LedgerId));
        second.Sequence.ShouldBe(2);
        second.PreviousHash.ShouldBe(first.Hash);
        AuditCanonicalJson.ComputeEventHash(second).ShouldBe(second.Hash);
        first.Timestamp.ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public async Task TwoWritersOnOneStore_LikeReplicas_EveryAppendSucceeds_AndTheChainWithCheckpointsVerifies()
    {
        var store = new InMemoryAuditLedgerStore();
        var keyring = new AuditKeyring(_key);
        var options = TestData.Options(checkpointEvery: 50) with { MaxBatchSize = 64 };
        await using var a = await AuditWriter.StartAsync(store, options, keyring, _time);
        await using var b = await AuditWriter.StartAsync(store, options, keyring, _time);

        // Both append at once from several callers each; every race one of them loses is written again, not failed.
        var appends = Enumerable.Range(0, 4000).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).AppendAsync(TestData.Draft(i))));
        var events = await Task.WhenAll(appends);
        await a.CheckpointAsync();
        await b.CheckpointAsync();

        events.Select(e => e.Sequence).Order().ShouldBe(Enumerable.Range(1, 4000).Select(i => (long)i));
        store.Count.ShouldBe(4000);
        (a.ConflictRetryCount + b.ConflictRetryCount).ShouldBeGreaterThan(0, "the writers did race");
        (a.CommittedCount + b.CommittedCount).ShouldBe(4000);
        var report = await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, AuditPublicKeySet.From(keyring));
        report.IsIntact.ShouldBeTrue(report.ToString());
        // Each acknowledged event is the stored one, hash and all.
        var stored = new Dictionary<long, AuditHash>();
        await foreach (var e in store.ReadEventsAsync(1, 4000))
        {
            stored[e.Sequence] = e.Hash;
        }

        events.ShouldAllBe(e => stored[e.Sequence] == e.Hash);
    }

    [Fact]
    public async Task Append_AcknowledgesOnlyAfterTheBatchIsStored()
    {
        var store = new GatedStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);

        var pending = writer.AppendAsync(TestData.Draft(0));
        await TestData.WaitUntilAsync(() => store.Waiting);

        pending.IsCompleted.ShouldBeFalse();
        store.Release();
        (await pending).Sequence.ShouldBe(1);
    }

    [Fact]
    public async Task Append_GroupsConcurrentCallersIntoBatches()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options() with { MaxBatchSize = 500 }, timeProvider: _time);

        var results = await Task.WhenAll(Enumerable.Range(0, 5000).Select(i => writer.AppendAsync(TestData.Draft(i))));

        results.Select(r => r.Sequence).Order().ShouldBe(Enumerable.Range(1, 5000).Select(i => (long)i));
        store.Count.ShouldBe(5000);
        store.AppendCalls.ShouldBeLessThan(5000);
        writer.CommittedCount.ShouldBe(5000);
    }

    [Fact]
    public async Task StoreFailure_FailsTheBatchAndDoesNotAdvanceTheHead()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);
        await writer.AppendAsync(TestData.Draft(0));

        store.FailNextAppends(1, new IOException("disk full"));
        var failed = await Should.ThrowAsync<IOException>(() => writer.AppendAsync(TestData.Draft(1)));
        var next = await writer.AppendAsync(TestData.Draft(2));

        failed.Message.ShouldBe("disk full");
        next.Sequence.ShouldBe(2);
        writer.LastSequence.ShouldBe(2);
        (await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, new AuditPublicKeySet([]))).IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task StoreFailure_WhileTheNextBatchWaits_ChainsThatBatchToTheStoredHead()
    {
        // The writer hashes the next batch while one is being written; when that write fails, the waiting batch
        // must be re-hashed onto what is actually stored, not onto the events that never made it.
        var store = new GatedStore(new IOException("disk full"));
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);

        var first = writer.AppendAsync(TestData.Draft(0));
        await TestData.WaitUntilAsync(() => store.Waiting);
        var next = Enumerable.Range(1, 5).Select(i => writer.AppendAsync(TestData.Draft(i))).ToArray();
        store.Release();

        (await Should.ThrowAsync<IOException>(() => first)).Message.ShouldBe("disk full");
        var written = await Task.WhenAll(next);
        written.Select(e => e.Sequence).ShouldBe([1, 2, 3, 4, 5]);
        written[0].PreviousHash.ShouldBe(AuditCanonicalJson.ComputeGenesis(TestData.LedgerId));
        writer.LastSequence.ShouldBe(5);
        (await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, new AuditPublicKeySet([]))).IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task Start_ContinuesAnExistingChain()
    {
        var store = new InMemoryAuditLedgerStore();
        await using (var writer = await AuditWriter.StartAsync(store, TestData.Options(), new AuditKeyring(_key), _time))
        {
            await writer.AppendAsync(TestData.Draft(0));
        }

        await using var restarted = await AuditWriter.StartAsync(store, TestData.Options(), new AuditKeyring(_key), _time);
        var e = await restarted.AppendAsync(TestData.Draft(1));
        await restarted.StopAsync();

        e.Sequence.ShouldBe(2);
        store.Checkpoints.Count.ShouldBe(2);
        store.Checkpoints[1].FromSequence.ShouldBe(2);
        (await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, AuditPublicKeySet.From(new AuditKeyring(_key)))).IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task Stop_DrainsQueuedAppendsAndSealsWithACheckpoint()
    {
        var store = new InMemoryAuditLedgerStore();
        var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 0), new AuditKeyring(_key), _time);
        var appends = Enumerable.Range(0, 300).Select(i => writer.AppendAsync(TestData.Draft(i))).ToList();

        await writer.StopAsync();

        store.Count.ShouldBe(300);
        (await Task.WhenAll(appends)).Length.ShouldBe(300);
        store.Checkpoints.Single().ToSequence.ShouldBe(300);
        await Should.ThrowAsync<InvalidOperationException>(() => writer.AppendAsync(TestData.Draft(1)));
    }

    [Fact]
    public async Task Checkpoints_AreWrittenEveryNEvents()
    {
        var store = await TestData.LedgerAsync(1000, new AuditKeyring(_key), checkpointEvery: 100);

        // Checkpoints fall on the first batch boundary at or after every 100 events (batches are at most 64).
        store.Checkpoints.Count.ShouldBeGreaterThanOrEqualTo(6);
        store.Checkpoints.SkipLast(1).ShouldAllBe(c => c.ToSequence - c.FromSequence + 1 >= 100 && c.ToSequence - c.FromSequence + 1 < 164);
        store.Checkpoints[0].FromSequence.ShouldBe(1);
        store.Checkpoints[^1].ToSequence.ShouldBe(1000);
        for (var i = 1; i < store.Checkpoints.Count; i++)
        {
            store.Checkpoints[i].FromSequence.ShouldBe(store.Checkpoints[i - 1].ToSequence + 1);
            store.Checkpoints[i].PreviousCheckpointHash.ShouldBe(store.Checkpoints[i - 1].ComputeHash());
        }
    }

    [Fact]
    public async Task Checkpoints_AreWrittenOnTheIntervalWhenEventsArrived()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 0) with { CheckpointInterval = TimeSpan.FromSeconds(30) }, new AuditKeyring(_key), _time);
        await writer.AppendAsync(TestData.Draft(0));

        _time.Advance(TimeSpan.FromSeconds(31));
        await TestData.WaitUntilAsync(() => store.Checkpoints.Count == 1);

        store.Checkpoints[0].ToSequence.ShouldBe(1);
        store.Checkpoints[0].KeyId.ShouldBe(_key.KeyId);
        store.Checkpoints[0].Timestamp.ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public async Task CheckpointAsync_ReturnsNullWhenNothingIsNew()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 0), new AuditKeyring(_key), _time);

        (await writer.CheckpointAsync()).ShouldBeNull();
        await writer.AppendAsync(TestData.Draft(0));
        var checkpoint = await writer.CheckpointAsync();

        checkpoint.ShouldNotBeNull().ToSequence.ShouldBe(1);
        _key.PublicKey.Verify(AuditCanonicalJson.EncodeCheckpoint(checkpoint), checkpoint.Signature.Span).ShouldBeTrue();
    }

    [Fact]
    public async Task Ledger_VerifiesAcrossKeyRotation()
    {
        using var next = AuditSigningKey.Generate();
        var store = new InMemoryAuditLedgerStore();
        var keyring = new AuditKeyring(_key);
        await using (var writer = await AuditWriter.StartAsync(store, TestData.Options(), keyring, _time))
        {
            await writer.AppendAsync(TestData.Draft(0));
        }

        var rotated = keyring.Rotate(next);
        await using (var writer = await AuditWriter.StartAsync(store, TestData.Options(), rotated, _time))
        {
            await writer.AppendAsync(TestData.Draft(1));
        }

        store.Checkpoints.Select(c => c.KeyId).ShouldBe([_key.KeyId, next.KeyId]);
        (await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, AuditPublicKeySet.From(rotated))).IsIntact.ShouldBeTrue();
        var onlyNew = await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, new AuditPublicKeySet([next.PublicKey]));
        onlyNew.Problem.ShouldNotBeNull().Kind.ShouldBe(VerificationProblemKind.UnknownSigningKey);
    }

    [Fact]
    public async Task UseKeyring_RotatesTheSigningKeyWithoutARestart()
    {
        using var next = AuditSigningKey.Generate();
        var store = new InMemoryAuditLedgerStore();
        var keyring = new AuditKeyring(_key);
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 0), keyring, _time);
        await writer.AppendAsync(TestData.Draft(0));
        await writer.CheckpointAsync();

        var rotated = keyring.Rotate(next);
        writer.UseKeyring(rotated);
        await writer.AppendAsync(TestData.Draft(1));
        await writer.CheckpointAsync();

        store.Checkpoints.Select(c => c.KeyId).ShouldBe([_key.KeyId, next.KeyId]);
        (await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, AuditPublicKeySet.From(rotated))).IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task Time_NeverGoesBackwardsAcrossBatches()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);
        var first = await writer.AppendAsync(TestData.Draft(0));

        _time.SetUtcNow(_time.GetUtcNow().AddMinutes(-5));
        var second = await writer.AppendAsync(TestData.Draft(1));

        second.Timestamp.ShouldBe(first.Timestamp);
    }

    [Fact]
    public async Task Time_NeverGoesBackwardsAcrossRestarts()
    {
        var store = new InMemoryAuditLedgerStore();
        AuditEvent first;
        await using (var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time))
        {
            first = await writer.AppendAsync(TestData.Draft(0));
        }

        _time.SetUtcNow(_time.GetUtcNow().AddHours(-1));
        await using var restarted = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);

        (await restarted.AppendAsync(TestData.Draft(1))).Timestamp.ShouldBe(first.Timestamp);
    }

    [Theory]
    [InlineData("Auth.Login")]
    [InlineData("auth..login")]
    [InlineData("")]
    public async Task Append_RejectsBadActionNames(string action)
    {
        await using var writer = await AuditWriter.StartAsync(new InMemoryAuditLedgerStore(), TestData.Options(), timeProvider: _time);

        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0) with { Action = action }));
    }

    [Fact]
    public async Task Append_RejectsNonObjectDetailsAndBadTraceIds()
    {
        await using var writer = await AuditWriter.StartAsync(new InMemoryAuditLedgerStore(), TestData.Options(), timeProvider: _time);

        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0) with { Details = TestData.Json("[1]") }));
        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0) with { TraceId = "00000000000000000000000000000000" }));
        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0) with { SpanId = "XYZ" }));
    }

    [Fact]
    public async Task Append_RejectsOversizedEvents()
    {
        await using var writer = await AuditWriter.StartAsync(new InMemoryAuditLedgerStore(), TestData.Options() with { MaxEventBytes = 1024 }, timeProvider: _time);

        await Should.ThrowAsync<ArgumentException>(() => writer.AppendAsync(TestData.Draft(0, $$"""{"blob":"{{new string('x', 2000)}}"}""")));
        (await writer.AppendAsync(TestData.Draft(1))).Sequence.ShouldBe(1);
    }

    [Fact]
    public async Task Append_StoresCanonicalDetails()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);

        var e = await writer.AppendAsync(TestData.Draft(0, """{ "b": 1.0, "a": 2 }"""));

        e.Details!.Value.GetRawText().ShouldBe("""{"a":2,"b":1}""");
    }

    [Fact]
    public async Task Start_RefusesToExtendAChainAlteredAfterItsLastCheckpoint()
    {
        var store = new InMemoryAuditLedgerStore();
        await using (var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 10), new AuditKeyring(_key), _time))
        {
            for (var i = 0; i < 15; i++)
            {
                await writer.AppendAsync(TestData.Draft(i));
            }

            await writer.CheckpointAsync();
            await writer.AppendAsync(TestData.Draft(15));
            await writer.AppendAsync(TestData.Draft(16));
        }

        var sealedThrough = store.Checkpoints[^1].ToSequence;
        store.Tamper(events => { events[^1] = events[^1] with { OrgId = "other" }; return events; });

        var ex = await Should.ThrowAsync<AuditLedgerCorruptException>(() => AuditWriter.StartAsync(store, TestData.Options(), new AuditKeyring(_key), _time));
        ex.Sequence.ShouldBeGreaterThanOrEqualTo(sealedThrough);
    }

    [Fact]
    public async Task Start_RefusesAStoreTruncatedBeforeItsLastCheckpoint()
    {
        var store = await TestData.LedgerAsync(30, new AuditKeyring(_key), checkpointEvery: 10);
        store.Tamper(events => events.Take(25).ToList());

        await Should.ThrowAsync<AuditLedgerCorruptException>(() => AuditWriter.StartAsync(store, TestData.Options(), new AuditKeyring(_key), _time));
    }

    [Fact]
    public async Task Metrics_ReportCommittedEventsAndFailures()
    {
        var store = new InMemoryAuditLedgerStore();
        using var meters = new TestMeterFactory();
        var measurements = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other tests run writers in parallel under the same meter name: listen to ours only.
            if (meters.Created.Contains(instrument.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.AddOrUpdate(instrument.Name, value, (_, old) => instrument.Name.EndsWith("failures", StringComparison.Ordinal) ? old + value : value));
        listener.Start();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time, meterFactory: meters);

        await writer.AppendAsync(TestData.Draft(0));
        store.FailNextAppends(1);
        await Should.ThrowAsync<IOException>(() => writer.AppendAsync(TestData.Draft(1)));
        listener.RecordObservableInstruments();

        measurements["warden.audit.events.committed"].ShouldBe(1);
        measurements["warden.audit.append.failures"].ShouldBe(1);
        measurements["warden.audit.sequence.last"].ShouldBe(1);
    }

    [Fact]
    public async Task AppendMany_WritesAGroupContiguouslyInOneStoreCall()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options() with { MaxBatchSize = 4 }, timeProvider: _time);
        await writer.AppendAsync(TestData.Draft(0));

        var group = await writer.AppendManyAsync(Enumerable.Range(1, 10).Select(i => TestData.Draft(i)).ToList());

        group.Select(e => e.Sequence).ShouldBe(Enumerable.Range(2, 10).Select(i => (long)i));
        store.AppendCalls.ShouldBe(2);
        (await Verification.LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, new AuditPublicKeySet([]))).IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task AppendMany_IsAllOrNothing()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: _time);

        await Should.ThrowAsync<ArgumentException>(() => writer.AppendManyAsync([TestData.Draft(0), TestData.Draft(1) with { Action = "Bad Action" }]));
        store.FailNextAppends(1);
        await Should.ThrowAsync<IOException>(() => writer.AppendManyAsync([TestData.Draft(2), TestData.Draft(3)]));

        store.Count.ShouldBe(0);
        (await writer.AppendManyAsync([TestData.Draft(4), TestData.Draft(5)])).Select(e => e.Sequence).ShouldBe([1L, 2L]);
    }

    [Fact]
    public async Task AppendMany_InterleavesWithSingleAppendsWithoutSplittingGroups()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options() with { MaxBatchSize = 8 }, timeProvider: _time);

        var singles = Enumerable.Range(0, 50).Select(i => writer.AppendAsync(TestData.Draft(i))).ToList();
        var groups = Enumerable.Range(0, 10).Select(g => writer.AppendManyAsync(Enumerable.Range(0, 5).Select(i => TestData.Draft((g * 5) + i)).ToList())).ToList();
        await Task.WhenAll(singles);
        var written = await Task.WhenAll(groups);

        store.Count.ShouldBe(100);
        foreach (var group in written)
        {
            group.Select(e => e.Sequence).ShouldBe(Enumerable.Range((int)group[0].Sequence, 5).Select(i => (long)i));
        }
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public List<System.Diagnostics.Metrics.Meter> Created { get; } = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options);
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in Created)
            {
                meter.Dispose();
            }
        }
    }

    /// <summary>A store whose appends block until released, to observe acknowledgement timing.</summary>
    private sealed class GatedStore(Exception? firstFailure = null) : IAuditLedgerStore
    {
        private readonly InMemoryAuditLedgerStore _inner = new();
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _waiting;
        private Exception? _firstFailure = firstFailure;

        public bool Waiting => _waiting;

        public void Release() => _gate.TrySetResult();

        public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default) => _inner.GetHeadAsync(cancellationToken);

        public async ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
        {
            _waiting = true;
            await _gate.Task;
            if (Interlocked.Exchange(ref _firstFailure, null) is { } failure)
            {
                throw failure;
            }

            await _inner.AppendAsync(events, cancellationToken);
        }

        public IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) => _inner.ReadEventsAsync(fromSequence, toSequence, cancellationToken);

        public ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default) => _inner.AppendCheckpointAsync(checkpoint, cancellationToken);

        public ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default) => _inner.GetLastCheckpointAsync(cancellationToken);

        public IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) => _inner.ReadCheckpointsAsync(fromSequence, toSequence, cancellationToken);
    }
}
