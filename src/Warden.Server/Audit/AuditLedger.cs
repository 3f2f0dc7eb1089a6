using System.Data.Common;
using Warden.Audit;
using Warden.Audit.Redaction;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Security;

namespace Warden.Server.Audit;

/// <summary>
/// The server's one audit append path: a group-commit <see cref="AuditWriter"/> over the SQL store, with the
/// checkpoint key from the key store. Followers (the live view) wait on <see cref="WaitForNewAsync"/>.
/// </summary>
public sealed class AuditLedger : IAuditRecorder, IAsyncDisposable
{
    private readonly AuditWriter _writer;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AuditLedger(AuditWriter writer, SqlAuditLedgerStore store, AuditKeyStore keys, string ledgerId)
    {
        _writer = writer;
        Store = store;
        Keys = keys;
        LedgerId = ledgerId;
    }

    /// <summary>The ledger's id, which its genesis value and checkpoints are bound to.</summary>
    public string LedgerId { get; }

    /// <summary>The storage.</summary>
    public SqlAuditLedgerStore Store { get; }

    /// <summary>The signing keys.</summary>
    public AuditKeyStore Keys { get; }

    /// <summary>The last sequence written.</summary>
    public long LastSequence => _writer.LastSequence;

    /// <summary>Opens the ledger: ledger id, keys, chain head; starts the writer.</summary>
    public static async Task<AuditLedger> StartAsync(ConnectionFactory connections, SecretBox secrets, TimeProvider time, AuditWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(connections, cancellationToken).ConfigureAwait(false);
        var keys = new AuditKeyStore(connections, secrets, time);
        var keyring = await keys.LoadOrCreateAsync(cancellationToken).ConfigureAwait(false);
        var store = new SqlAuditLedgerStore(connections);
        // The writer's batches queue with the server's other SQLite writers rather than meeting them in the busy handler.
        var writer = await AuditWriter.StartAsync(new WriteQueuedLedgerStore(store, connections), (options ?? DefaultOptions(ledgerId)) with { LedgerId = ledgerId }, keyring, time,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return new AuditLedger(writer, store, keys, ledgerId);
    }

    /// <summary>
    /// Writer defaults plus Warden's own ingestion-key shape, which the built-in redaction patterns do not know, so a
    /// key pasted into an event's details (say, a collector config dumped by a tool) never reaches the ledger.
    /// </summary>
    public static AuditWriterOptions DefaultOptions(string ledgerId) => new()
    {
        LedgerId = ledgerId,
        Redaction = new RedactionOptions { ExtraPatterns = [new RedactionPattern("warden_ingest_key", @"\bwik_[A-Za-z0-9]{16,}"), new RedactionPattern("warden_join_token", @"\bwjt_[A-Za-z0-9]{16,}"), new RedactionPattern("warden_worker_secret", @"\bwks_[A-Za-z0-9]{16,}")] },
    };

    /// <inheritdoc />
    public async Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default)
    {
        await AppendAsync(draft, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends and returns the event as written.</summary>
    public async Task<AuditEvent> AppendAsync(AuditEventDraft draft, CancellationToken cancellationToken = default)
    {
        var written = await _writer.AppendAsync(draft, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return written;
    }

    /// <summary>
    /// Appends <paramref name="drafts"/> as one group and commits <paramref name="work"/> in the same transaction (the
    /// writer's batch carries it: one commit for both, and neither without the other).
    /// </summary>
    public async Task<T> RecordWithAsync<T>(IReadOnlyList<AuditEventDraft> drafts, ConnectionFactory connections, Func<DbConnection, DbTransaction, Task<T>> work,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        ArgumentNullException.ThrowIfNull(work);
        if (drafts.Count == 0)
        {
            return await connections.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }

        var companion = new SqlAuditCompanion<T>(work);
        await _writer.AppendWithAsync(drafts, companion, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return companion.Result;
    }

    /// <summary>
    /// Appends <paramref name="drafts"/> as one atomic group (contiguous sequences, all durable or none) and returns
    /// them as written. For imports: one request is one group.
    /// </summary>
    /// <exception cref="ArgumentException">A draft is invalid; nothing was appended.</exception>
    public async Task<IReadOnlyList<AuditEvent>> AppendManyAsync(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken = default)
    {
        var written = await _writer.AppendManyAsync(drafts, cancellationToken).ConfigureAwait(false);
        if (written.Count > 0)
        {
            Interlocked.Exchange(ref _appended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        return written;
    }

    /// <summary>Completes when an event is appended after this call (or when <paramref name="cancellationToken"/> fires).</summary>
    public Task WaitForNewAsync(CancellationToken cancellationToken) => Volatile.Read(ref _appended).Task.WaitAsync(cancellationToken);

    /// <summary>Signs a checkpoint over everything written so far (if anything is new).</summary>
    public Task<AuditCheckpoint?> CheckpointAsync(CancellationToken cancellationToken = default) => _writer.CheckpointAsync(cancellationToken);

    /// <summary>Verifies the stored ledger against the keys the server holds.</summary>
    public async Task<VerificationReport> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var keys = await Keys.ListPublicAsync(cancellationToken).ConfigureAwait(false);
        return await StoreVerifier.VerifyAsync(Store, LedgerId, new AuditPublicKeySet(keys.Select(k => AuditVerificationKey.FromPem(k.PublicKeyPem))), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
