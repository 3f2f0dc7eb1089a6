using Warden.Audit.Storage;

namespace Warden.Audit.Tests;

public sealed class StoreConformanceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("warden-audit-conformance-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task InMemoryStore_PassesTheConformanceCheck()
    {
        var failures = await AuditLedgerStoreConformance.CheckAsync(() => Task.FromResult<IAuditLedgerStore>(new InMemoryAuditLedgerStore()));

        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task JsonLinesStore_PassesTheConformanceCheck()
    {
        var failures = await AuditLedgerStoreConformance.CheckAsync(async () =>
            await JsonLinesAuditLedgerStore.OpenAsync(Path.Combine(_directory, Guid.NewGuid().ToString("n") + ".jsonl"), "conformance"));

        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task InMemoryStore_PassesTheQueryConformanceCheck()
    {
        var failures = await AuditLedgerStoreConformance.CheckQueriesAsync(() => Task.FromResult(new InMemoryAuditLedgerStore()));

        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task Conformance_CatchesAStoreThatSkipsTheChainCheck()
    {
        var failures = await AuditLedgerStoreConformance.CheckAsync(() => Task.FromResult<IAuditLedgerStore>(new CarelessStore()));

        failures.ShouldContain(f => f.StartsWith("conflicts:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Conformance_CatchesAStoreThatLosesDetail()
    {
        var failures = await AuditLedgerStoreConformance.CheckAsync(() => Task.FromResult<IAuditLedgerStore>(new LossyStore()));

        failures.ShouldContain(f => f.StartsWith("round trip:", StringComparison.Ordinal));
    }

    /// <summary>Appends anything without checking the chain.</summary>
    private sealed class CarelessStore : IAuditLedgerStore
    {
        private readonly InMemoryAuditLedgerStore _inner = new();
        private readonly List<AuditEvent> _extra = [];

        public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default) => _inner.GetHeadAsync(cancellationToken);

        public async ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
        {
            try
            {
                await _inner.AppendAsync(events, cancellationToken);
            }
            catch (AuditStoreConflictException)
            {
                _extra.AddRange(events);
            }
        }

        public async IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var e in _inner.ReadEventsAsync(fromSequence, toSequence, cancellationToken))
            {
                yield return e;
            }

            foreach (var e in _extra.Where(e => e.Sequence >= fromSequence && e.Sequence <= toSequence))
            {
                yield return e;
            }
        }

        public ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default) => _inner.AppendCheckpointAsync(checkpoint, cancellationToken);

        public ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default) => _inner.GetLastCheckpointAsync(cancellationToken);

        public IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) => _inner.ReadCheckpointsAsync(fromSequence, toSequence, cancellationToken);
    }

    /// <summary>Stores display names as null when empty, as a careless column mapping might.</summary>
    private sealed class LossyStore : IAuditLedgerStore
    {
        private readonly InMemoryAuditLedgerStore _inner = new();

        public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default) => _inner.GetHeadAsync(cancellationToken);

        public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default) => _inner.AppendAsync(events, cancellationToken);

        public async IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var e in _inner.ReadEventsAsync(fromSequence, toSequence, cancellationToken))
            {
                yield return e.Actor.Display == "" ? e with { Actor = e.Actor with { Display = null } } : e;
            }
        }

        public ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default) => _inner.AppendCheckpointAsync(checkpoint, cancellationToken);

        public ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default) => _inner.GetLastCheckpointAsync(cancellationToken);

        public IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) => _inner.ReadCheckpointsAsync(fromSequence, toSequence, cancellationToken);
    }
}
