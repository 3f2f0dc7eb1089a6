using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Warden.Audit.Canonical;
using Warden.Audit.Redaction;
using Warden.Audit.Signing;
using Warden.Audit.Storage;

namespace Warden.Audit;

/// <summary>
/// The single writer of a ledger (one per server). Callers <see cref="AppendAsync"/> drafts; a background loop
/// batches them (group commit), assigns sequence numbers and time, hashes the chain, writes each batch in one
/// <see cref="IAuditLedgerStore.AppendAsync"/> call and only then acknowledges the callers. It signs checkpoints
/// every <see cref="AuditWriterOptions.CheckpointEveryEvents"/> events or <see cref="AuditWriterOptions.CheckpointInterval"/>.
/// </summary>
/// <remarks>
/// Validation, redaction and details canonicalisation run on the caller's thread (they are CPU work that
/// parallelises across callers); the loop does only sequencing, encoding, hashing and I/O. One batch is written at a
/// time, and the loop hashes the next batch while it is (pipelining). No lock is held across I/O: the loop is the only
/// mutator of the chain as hashed, and the single write in flight the only one of the durable head. If a store write fails, every caller in the batch
/// gets the exception, the head is not advanced, and it is reloaded from the store before the next batch.
/// Run exactly one writer per ledger (e.g. on the elected leader): the store's conflict check stops a second writer
/// from forking the chain, but checkpoint ranges assume a single signer.
/// </remarks>
public sealed class AuditWriter : IAsyncDisposable
{
    private readonly IAuditLedgerStore _store;
    private readonly IEncodedAuditLedgerStore? _encodedStore;
    private readonly ICompanionAuditLedgerStore? _companionStore;
    private readonly bool _ordered;
    private readonly AuditWriterOptions _options;
    private AuditKeyring? _keyring;
    private readonly TimeProvider _time;
    private readonly AuditRedactor _redactor;
    private readonly AuditHash _genesis;
    private readonly Channel<WriterRequest> _channel;
    private readonly ITimer? _timer;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _failedAppends;
    private Task _loop = Task.CompletedTask;

    // The end of the chain as hashed so far (durable events plus the batch being written): mutated only by the loop.
    private long _tailSequence;
    private AuditHash _tailHash;
    private DateTimeOffset _tailTimestamp;

    // Durable chain state: advanced by the batch write (one at a time), reloaded by the loop when no write is in flight.
    private long _lastSequence;
    private AuditHash _lastHash;
    private DateTimeOffset _lastTimestamp;
    private volatile bool _headStale;

    // How often one append is queued again after losing races with another writer on the store (a server replica).
    private const int MaxConflictRetries = 20;
    private AuditCheckpoint? _lastCheckpoint;
    private AuditHash _lastCheckpointHash;
    private long _committed;
    private long _batches;
    private long _conflictRetries;
    private Exception? _lastCheckpointError;

    private AuditWriter(IAuditLedgerStore store, AuditWriterOptions options, AuditKeyring? keyring, TimeProvider time, IMeterFactory? meterFactory)
    {
        _store = store;
        _encodedStore = store as IEncodedAuditLedgerStore;
        _companionStore = store as ICompanionAuditLedgerStore;
        _ordered = store is IOrderedAuditLedgerStore { KeepsSubmissionOrder: true };
        _options = options;
        _keyring = keyring;
        _time = time;
        _redactor = new AuditRedactor(options.Redaction);
        _genesis = AuditCanonicalJson.ComputeGenesis(options.LedgerId);
        _lastHash = _genesis;
        _lastCheckpointHash = _genesis;
        _channel = Channel.CreateBounded<WriterRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            // The loop's wake-up runs on the appending thread up to the loop's next wait (it only gathers and hashes),
            // instead of hopping to another pool thread: one scheduling delay less for every append.
            AllowSynchronousContinuations = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // Observable instruments read the counters the loop already keeps, so metrics cost nothing per append.
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("warden.audit.queue.length", () => QueueLength, "{append}", "Appends waiting for the writer loop.");
        _meter.CreateObservableCounter("warden.audit.events.committed", () => CommittedCount, "{event}", "Events durably written.");
        _meter.CreateObservableCounter("warden.audit.batches", () => BatchCount, "{batch}", "Store append calls.");
        _meter.CreateObservableGauge("warden.audit.sequence.last", () => LastSequence, "{event}", "Sequence of the last durable event.");
        _failedAppends = _meter.CreateCounter<long>("warden.audit.append.failures", "{event}", "Appends failed because the store write failed.");
        if (keyring is not null && options.CheckpointInterval > TimeSpan.Zero)
        {
            _timer = time.CreateTimer(static state => ((AuditWriter)state!).OnTimer(), this, options.CheckpointInterval, options.CheckpointInterval);
        }
    }

    /// <summary>Name of the <see cref="Meter"/> the writer reports on.</summary>
    public const string MeterName = "Warden.Audit";

    /// <summary>The ledger's genesis hash (previous hash of event 1).</summary>
    public AuditHash Genesis => _genesis;

    /// <summary>Sequence of the last durable event (0 when empty).</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>Events durably written by this writer since start.</summary>
    public long CommittedCount => Interlocked.Read(ref _committed);

    /// <summary>Store append calls made (batches) since start.</summary>
    public long BatchCount => Interlocked.Read(ref _batches);

    /// <summary>Batches written again because another writer on the same store appended first.</summary>
    public long ConflictRetryCount => Interlocked.Read(ref _conflictRetries);

    /// <summary>Appends queued and not yet picked up by the loop (a gauge).</summary>
    public int QueueLength => _channel.Reader.CanCount ? _channel.Reader.Count : -1;

    /// <summary>The most recent checkpoint written (or loaded at start).</summary>
    public AuditCheckpoint? LastCheckpoint => Volatile.Read(ref _lastCheckpoint);

    /// <summary>The last error signing or storing a timed/count checkpoint, cleared by the next success (for health checks).</summary>
    public Exception? LastCheckpointError => Volatile.Read(ref _lastCheckpointError);

    /// <summary>
    /// Loads the chain head and last checkpoint from <paramref name="store"/> and starts the background loop.
    /// </summary>
    /// <param name="store">Where events go.</param>
    /// <param name="options">Ledger id, batching and checkpoint settings.</param>
    /// <param name="keyring">Signs checkpoints; <see langword="null"/> writes no checkpoints (tests only).</param>
    /// <param name="timeProvider">Clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter (from DI); a private meter when null.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <exception cref="AuditLedgerCorruptException">The stored tail does not match the last checkpoint.</exception>
    public static async Task<AuditWriter> StartAsync(
        IAuditLedgerStore store,
        AuditWriterOptions options,
        AuditKeyring? keyring = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        var writer = new AuditWriter(store, options, keyring, timeProvider ?? TimeProvider.System, meterFactory);
        try
        {
            await writer.LoadHeadAsync(cancellationToken).ConfigureAwait(false);
            if (writer._lastCheckpoint is { } checkpoint && options.VerifyTailOnStart)
            {
                await writer.VerifyTailAsync(checkpoint, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            writer._timer?.Dispose();
            if (writer._ownsMeter)
            {
                writer._meter.Dispose();
            }

            throw;
        }

        writer._loop = Task.Run(writer.RunAsync, CancellationToken.None);
        return writer;
    }

    /// <summary>
    /// Queues <paramref name="draft"/> and completes once it is durably stored, with the event as written
    /// (sequence, time, redacted details, hashes).
    /// </summary>
    /// <param name="draft">The event to record.</param>
    /// <param name="cancellationToken">
    /// Stops waiting (for queue space or for the write). Once queued the event may still be written.
    /// </param>
    /// <exception cref="ArgumentException">The draft is invalid (see <see cref="AuditEventDraft"/>).</exception>
    /// <exception cref="InvalidOperationException">The writer is stopped.</exception>
    /// <exception cref="Exception">Whatever the store threw when writing the batch.</exception>
    public async Task<AuditEvent> AppendAsync(AuditEventDraft draft, CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(draft, out var tail);
        var request = new WriterRequest(prepared, null) { Tail = tail };
        try
        {
            await _channel.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The audit writer is stopped.", ex);
        }

        return await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Switches checkpoint signing to <paramref name="keyring"/>'s active key from the next checkpoint on (key
    /// rotation without a restart). Verifiers need the old public keys too: use <see cref="AuditKeyring.Rotate"/>.
    /// </summary>
    public void UseKeyring(AuditKeyring keyring)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        Volatile.Write(ref _keyring, keyring);
    }

    /// <summary>
    /// Appends several drafts atomically: they get contiguous sequence numbers, are written in one store call, and
    /// either all become durable or none do. For imports (one OTLP request = one group). Every draft is validated
    /// before anything is queued.
    /// </summary>
    /// <exception cref="ArgumentException">A draft is invalid; nothing was appended.</exception>
    public async Task<IReadOnlyList<AuditEvent>> AppendManyAsync(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        if (drafts.Count == 0)
        {
            return [];
        }

        return await EnqueueGroupAsync(drafts, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends <paramref name="drafts"/> as one atomic group (as <see cref="AppendManyAsync"/>) and commits
    /// <paramref name="companion"/>, another component's write, in the same store transaction: when this completes both
    /// are durable; when it throws, neither was written. The events keep their place in the chain (sequenced and hashed
    /// by this writer like every other append), and the companion shares the batch's one commit, so a caller that must
    /// never have its own record without the audit events (or the other way round) pays for one durable write, not two.
    /// </summary>
    /// <exception cref="ArgumentException">A draft is invalid, or there is none; nothing was appended.</exception>
    /// <exception cref="NotSupportedException">The store cannot carry companion writes (not an <see cref="ICompanionAuditLedgerStore"/>).</exception>
    /// <exception cref="Exception">What the companion threw (only its own caller hears it; the other events of its batch are written again), or what the store threw.</exception>
    public async Task<IReadOnlyList<AuditEvent>> AppendWithAsync(IReadOnlyList<AuditEventDraft> drafts, AuditCompanionWrite companion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        ArgumentNullException.ThrowIfNull(companion);
        if (_companionStore is null)
        {
            throw new NotSupportedException("This audit store cannot commit other writes with its events.");
        }

        if (drafts.Count == 0)
        {
            throw new ArgumentException("A companion write needs at least one event to travel with.", nameof(drafts));
        }

        return await EnqueueGroupAsync(drafts, companion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Validates and encodes every draft, then queues them as one atomic group (with its companion write, if any).</summary>
    private async Task<IReadOnlyList<AuditEvent>> EnqueueGroupAsync(IReadOnlyList<AuditEventDraft> drafts, AuditCompanionWrite? companion, CancellationToken cancellationToken)
    {
        var prepared = new AuditEventDraft[drafts.Count];
        var tails = new byte[drafts.Count][];
        for (var i = 0; i < drafts.Count; i++)
        {
            prepared[i] = Prepare(drafts[i], out tails[i]);
        }

        var request = new WriterRequest(null, null)
        {
            GroupDrafts = prepared,
            GroupTails = tails,
            GroupCompletion = new TaskCompletionSource<AuditEvent[]>(TaskCreationOptions.RunContinuationsAsynchronously),
            Companion = companion,
        };
        try
        {
            await _channel.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The audit writer is stopped.", ex);
        }

        return await request.GroupCompletion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs and stores a checkpoint covering every event durable so far (after already-queued appends).
    /// Returns <see langword="null"/> when there is nothing new to cover or no keyring.
    /// </summary>
    public async Task<AuditCheckpoint?> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var waiter = new TaskCompletionSource<AuditCheckpoint?>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _channel.Writer.WriteAsync(new WriterRequest(null, waiter), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The audit writer is stopped.", ex);
        }

        return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops accepting appends, writes everything already queued, signs a final checkpoint if events were
    /// written since the last one, and returns when done.
    /// </summary>
    public async Task StopAsync()
    {
        _channel.Writer.TryComplete();
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            if (_ownsMeter)
            {
                _meter.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Caller-thread work: validation, redaction, canonicalising details, and encoding everything in the event
    /// except sequence and time (<paramref name="tail"/>), so the loop only stitches, hashes and writes.
    /// </summary>
    private AuditEventDraft Prepare(AuditEventDraft draft, out byte[] tail)
    {
        AuditDraftValidator.Validate(draft);
        AuditEventDraft redacted;
        try
        {
            redacted = _redactor.Redact(draft);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses to read some strings, e.g. escaped lone surrogates ("\ud800").
            throw new ArgumentException("Details contain a string that cannot be read: " + ex.Message, nameof(draft), ex);
        }

        var buffer = CanonicalBuffer.Rent();
        try
        {
            if (redacted.Details is { } details)
            {
                // Store exactly what is hashed: canonical details (sorted keys, normalised numbers), detached from
                // the caller's JsonDocument, which the caller may dispose.
                try
                {
                    buffer.Json(details);
                }
                catch (FormatException ex)
                {
                    throw new ArgumentException("Details cannot be canonicalised: " + ex.Message, nameof(draft), ex);
                }

                redacted = redacted with { Details = Detach(details, buffer.WrittenSpan) };
                buffer.Clear();
            }

            AuditCanonicalJson.WriteEventTail(redacted, buffer);
            if (buffer.Length > _options.MaxEventBytes)
            {
                throw new ArgumentException($"The event encodes to {buffer.Length} bytes; the limit is {_options.MaxEventBytes}.", nameof(draft));
            }

            tail = buffer.WrittenSpan.ToArray();
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }

        return redacted;
    }

    /// <summary>
    /// A copy of <paramref name="details"/> in canonical form that does not depend on the caller's document.
    /// Already-canonical input (the usual case for machine-built details) is cloned instead of re-parsed.
    /// </summary>
    private static JsonElement Detach(JsonElement details, ReadOnlySpan<byte> canonical)
    {
        if (System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(details).SequenceEqual(canonical))
        {
            return details.Clone();
        }

        var reader = new Utf8JsonReader(canonical);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Checks events [checkpoint.To, head] chain correctly and event checkpoint.To matches the checkpoint.</summary>
    private async Task VerifyTailAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var expected = checkpoint.ToSequence;
        AuditHash previous = default;
        await foreach (var e in _store.ReadEventsAsync(checkpoint.ToSequence, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            var ok = e.Sequence == expected
                && AuditCanonicalJson.ComputeEventHash(e) == e.Hash
                && (e.Sequence == checkpoint.ToSequence ? e.Hash == checkpoint.LastEventHash : e.PreviousHash == previous);
            if (!ok)
            {
                throw new AuditLedgerCorruptException(e.Sequence, $"Stored event {e.Sequence} does not match the chain sealed by checkpoint [{checkpoint.FromSequence}, {checkpoint.ToSequence}]; run a full verification.");
            }

            previous = e.Hash;
            expected++;
        }

        if (expected - 1 != _lastSequence || (_lastSequence >= checkpoint.ToSequence && previous != _lastHash))
        {
            throw new AuditLedgerCorruptException(expected, $"Stored events end at {expected - 1}, but the store head says {_lastSequence} and the last checkpoint covers {checkpoint.ToSequence}.");
        }
    }

    private void OnTimer() => _channel.Writer.TryWrite(WriterRequest.Tick);

    /// <summary>
    /// Loads the chain head, the last event's time (so ledger time stays monotonic across restarts) and the last
    /// checkpoint (so a writer that lost a conflict does not sign a range another writer already covered).
    /// </summary>
    private async Task LoadHeadAsync(CancellationToken cancellationToken)
    {
        var head = await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        if (head is not null)
        {
            await foreach (var last in _store.ReadEventsAsync(head.LastSequence, head.LastSequence, cancellationToken).ConfigureAwait(false))
            {
                _lastTimestamp = last.Timestamp > _lastTimestamp ? last.Timestamp : _lastTimestamp;
            }
        }

        var checkpoint = await _store.GetLastCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (checkpoint is not null && checkpoint.ToSequence != _lastCheckpoint?.ToSequence)
        {
            if (checkpoint.LedgerId != _options.LedgerId)
            {
                throw new InvalidOperationException($"Store holds ledger '{checkpoint.LedgerId}', not '{_options.LedgerId}'.");
            }

            _lastCheckpointHash = checkpoint.ComputeHash();
            Volatile.Write(ref _lastCheckpoint, checkpoint);
        }

        Volatile.Write(ref _lastSequence, head?.LastSequence ?? 0);
        _lastHash = head?.LastHash ?? _genesis;
        _tailSequence = _lastSequence;
        _tailHash = _lastHash;
        _tailTimestamp = _lastTimestamp > _tailTimestamp ? _lastTimestamp : _tailTimestamp;
        _headStale = false;
    }

    private async Task RunAsync()
    {
        try
        {
            await RunLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Should not happen (each step handles its own failures), but a dead loop must not leave callers
            // waiting forever: refuse new appends and fail everything still queued.
            _channel.Writer.TryComplete(ex);
            while (_channel.Reader.TryRead(out var request))
            {
                request.Fail(ex);
                request.CheckpointWaiter?.TrySetException(ex);
            }

            throw;
        }
    }

    private async Task RunLoopAsync()
    {
        var reader = _channel.Reader;
        var waiters = new List<TaskCompletionSource<AuditCheckpoint?>>();
        WriterRequest? carried = null;

        // At most one batch is being written at a time; meanwhile the loop gathers and hashes the next one, so the
        // store is handed its next batch the moment the previous one is durable. True once that write succeeded.
        // A store that keeps submission order may hold two batches placed at once (the second can share the first's
        // commit); the loop waits for the older one before gathering a third, so under load appends gather into larger
        // batches instead of many small ones.
        Task<bool> writing = Task.FromResult(true);
        var older = writing;
        while (carried is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await older.ConfigureAwait(false);
            var tick = false;
            var batch = new Batch(_encodedStore is not null);
            Gather(reader, batch, ref carried, waiters, ref tick);
            if (batch.EventCount > 0)
            {
                older = writing;
                writing = await StartWriteAsync(reader, batch, writing, waiters).ConfigureAwait(false);
                tick |= batch.SawTick;
            }

            var countDue = _options.CheckpointEveryEvents > 0 && _tailSequence - (_lastCheckpoint?.ToSequence ?? 0) >= _options.CheckpointEveryEvents;
            if (waiters.Count > 0 || tick || countDue)
            {
                // A checkpoint covers only durable events, and the head must not move under it.
                await writing.ConfigureAwait(false);
                await CheckpointDueAsync(waiters).ConfigureAwait(false);
                waiters.Clear();
            }
        }

        // Drained and closed: seal what was written.
        await writing.ConfigureAwait(false);
        await CheckpointDueAsync(waiters).ConfigureAwait(false);
    }

    /// <summary>
    /// Hashes <paramref name="batch"/> onto the chain as it will stand once <paramref name="previous"/> (the write
    /// in flight) is durable, waits for that write, tops the batch up with what arrived meanwhile, and starts
    /// writing it. Returns the new write in flight. If the previous write failed, the head is reloaded and the batch
    /// re-hashed onto it, so one failed write fails only its own callers.
    /// </summary>
    private async Task<Task<bool>> StartWriteAsync(ChannelReader<WriterRequest> reader, Batch batch, Task<bool> previous, List<TaskCompletionSource<AuditCheckpoint?>> waiters)
    {
        var dependent = false;
        try
        {
            if (_headStale)
            {
                await previous.ConfigureAwait(false);
                await LoadHeadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                Build(batch, 0);
                // A store that commits in submission order takes this batch while the previous one is still queued
                // (built on its tail; if it fails, this one fails its continuity check and is queued again).
                if (_ordered && !previous.IsCompleted)
                {
                    dependent = true;
                }
                else if (!await previous.ConfigureAwait(false))
                {
                    await LoadHeadAsync(CancellationToken.None).ConfigureAwait(false);
                    batch.ClearBuilt();
                }
            }

            if (batch.Events.Count == 0)
            {
                Build(batch, 0);
            }

            // Appends that queued while the previous batch was being written join this one.
            var built = batch.Requests.Count;
            WriterRequest? carried = null;
            var tick = false;
            Gather(reader, batch, ref carried, waiters, ref tick, topUp: true);
            batch.SawTick = tick;
            Build(batch, built);
        }
        catch (Exception ex)
        {
            // Reloading the head failed (or, in theory, hashing did): nothing of this batch was written.
            _headStale = true;
            _failedAppends.Add(batch.EventCount);
            batch.Fail(ex);
            return Task.FromResult(false);
        }

        // The store call runs off the loop (SQLite's is synchronous) so the loop can prepare the next batch. A store that
        // keeps submission order is called from the loop, so batches are placed in order (it runs the write elsewhere).
        return _ordered ? WriteAsync(batch, previous, dependent) : Task.Run(() => WriteAsync(batch, previous, dependent));
    }

    /// <summary>
    /// Moves queued requests into <paramref name="batch"/> until it holds <see cref="AuditWriterOptions.MaxBatchSize"/>
    /// events. A group is never split; one that does not fit is carried to the next batch (or goes alone if bigger).
    /// When topping up, a group that does not fit is left for the next batch through the reader's order: it is
    /// carried in <paramref name="carried"/> only when nothing else could be read, so it is never lost.
    /// </summary>
    private void Gather(ChannelReader<WriterRequest> reader, Batch batch, ref WriterRequest? carried, List<TaskCompletionSource<AuditCheckpoint?>> waiters, ref bool tick, bool topUp = false)
    {
        if (carried is not null)
        {
            batch.Add(carried);
            carried = null;
        }

        while (batch.EventCount < _options.MaxBatchSize && (topUp ? reader.TryPeek(out var next) : reader.TryRead(out next)))
        {
            if (next.EventCount > 0 && batch.EventCount > 0 && batch.EventCount + next.EventCount > _options.MaxBatchSize)
            {
                if (!topUp)
                {
                    carried = next;
                }

                break;
            }

            if (topUp && !reader.TryRead(out next))
            {
                break;
            }

            if (next.EventCount > 0)
            {
                batch.Add(next);
            }
            else if (next.CheckpointWaiter is { } waiter)
            {
                waiters.Add(waiter);
            }
            else
            {
                tick = true;
            }
        }
    }

    /// <summary>
    /// Writes a hashed batch, then (after <paramref name="previous"/>, the write before it, has finished) advances the
    /// durable head and acknowledges its callers, or fails them. <paramref name="dependent"/>: the batch was hashed onto
    /// <paramref name="previous"/>'s events before they were durable; if those were not written, neither is this batch,
    /// and its requests are queued again.
    /// </summary>
    private async Task<bool> WriteAsync(Batch batch, Task<bool> previous, bool dependent)
    {
        Exception? failure = null;
        try
        {
            if (batch.Companions is { Count: > 0 } companions)
            {
                await _companionStore!.AppendEncodedAsync(batch.Events, batch.Bodies!, companions, CancellationToken.None).ConfigureAwait(false);
            }
            else if (batch.Bodies is not null)
            {
                await _encodedStore!.AppendEncodedAsync(batch.Events, batch.Bodies, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await _store.AppendAsync(batch.Events, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        // Batches finish in order: the durable head only moves forward, and callers hear in chain order.
        var previousWritten = await previous.ConfigureAwait(false);
        if (failure is not null)
        {
            // Atomic append: nothing from this batch is durable. Reload the head before the next batch in case
            // the failure was a conflict with another writer or the store's state is otherwise unknown.
            _headStale = true;
            if (dependent && !previousWritten)
            {
                // Built on a batch that was not written: these events go back into the queue, sequenced again later.
                Requeue(batch.Requests, null, failure);
                return false;
            }

            if (failure is AuditStoreConflictException)
            {
                // Another writer on the same store (a server replica) appended first. Nothing of this batch is
                // durable and its callers keep waiting: their events go back into the queue and are sequenced again
                // onto the head reloaded from the store.
                Interlocked.Increment(ref _conflictRetries);
                Requeue(batch.Requests, null, failure);
                return false;
            }

            if (failure is AuditCompanionException companionFailure && batch.Owner(companionFailure.Companion) is { } owner)
            {
                // Nothing of the batch was written, because of one caller's own write: that caller hears its exception,
                // the others' events go back into the queue and are sequenced again onto the reloaded head.
                _failedAppends.Add(owner.EventCount);
                owner.Fail(failure.InnerException ?? failure);
                Requeue(batch.Requests, owner, failure);
                return false;
            }

            _failedAppends.Add(batch.EventCount);
            batch.Fail(failure);
            return false;
        }

        var last = batch.Events[^1];
        _lastHash = last.Hash;
        _lastTimestamp = last.Timestamp;
        Volatile.Write(ref _lastSequence, last.Sequence);
        Interlocked.Add(ref _committed, batch.EventCount);
        Interlocked.Increment(ref _batches);
        batch.Complete();
        return true;
    }

    /// <summary>Puts requests back into the queue (all but <paramref name="except"/>); a request that does not fit any more fails.</summary>
    private void Requeue(List<WriterRequest> requests, WriterRequest? except, Exception cause)
    {
        foreach (var request in requests)
        {
            if (ReferenceEquals(request, except))
            {
                continue;
            }

            if (++request.Requeues > MaxConflictRetries)
            {
                // Not a race any more: whatever keeps failing the batch, its callers hear it.
                _failedAppends.Add(request.EventCount);
                request.Fail(cause);
            }
            else if (!_channel.Writer.TryWrite(request))
            {
                _failedAppends.Add(request.EventCount);
                request.Fail(new InvalidOperationException("The audit writer stopped before this event could be written again after another write in its batch failed.", cause));
            }
        }
    }

    /// <summary>
    /// Sequences, times and hashes the requests of <paramref name="batch"/> from index <paramref name="fromRequest"/>
    /// on, continuing the chain at <see cref="_tailSequence"/>. For a store that keeps the canonical bytes
    /// (<see cref="IEncodedAuditLedgerStore"/>) each event's encoding, the very bytes just hashed, is kept for it.
    /// </summary>
    private void Build(Batch batch, int fromRequest)
    {
        if (fromRequest == 0)
        {
            // One time per batch, never earlier than the previous batch, so ledger time is monotonic even if the clock steps back.
            var now = TruncateToMilliseconds(_time.GetUtcNow());
            batch.Timestamp = now > _tailTimestamp ? now : _tailTimestamp;
        }

        var timestamp = batch.Timestamp;
        var sequence = _tailSequence;
        var previous = _tailHash;
        var bodies = batch.Bodies;
        var buffer = CanonicalBuffer.Rent();
        try
        {
            for (var r = fromRequest; r < batch.Requests.Count; r++)
            {
                var request = batch.Requests[r];
                for (var j = 0; j < request.EventCount; j++)
                {
                    var (draft, tail) = request.Get(j);
                    sequence++;
                    buffer.Clear();
                    AuditCanonicalJson.WriteEventHead(sequence, timestamp, buffer);
                    AuditHash hash;
                    if (bodies is not null)
                    {
                        var body = new byte[buffer.Length + tail.Length];
                        buffer.WrittenSpan.CopyTo(body);
                        tail.CopyTo(body, buffer.Length);
                        bodies.Add(body);
                        hash = AuditHash.Compute(previous, body);
                    }
                    else
                    {
                        buffer.Raw(tail);
                        hash = AuditHash.Compute(previous, buffer.WrittenSpan);
                    }

                    batch.Events.Add(new AuditEvent
                    {
                        Sequence = sequence,
                        Timestamp = timestamp,
                        OrgId = draft.OrgId,
                        Actor = draft.Actor,
                        OnBehalfOf = draft.OnBehalfOf,
                        Source = draft.Source,
                        Action = draft.Action,
                        Resource = draft.Resource,
                        Policy = draft.Policy,
                        Outcome = draft.Outcome,
                        Details = draft.Details,
                        Cost = draft.Cost,
                        TraceId = draft.TraceId,
                        SpanId = draft.SpanId,
                        PreviousHash = previous,
                        Hash = hash,
                    });
                    previous = hash;
                }
            }
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }

        _tailSequence = sequence;
        _tailHash = previous;
        _tailTimestamp = timestamp;
    }

    private async Task CheckpointDueAsync(List<TaskCompletionSource<AuditCheckpoint?>> waiters)
    {
        AuditCheckpoint? checkpoint = null;
        Exception? error = null;
        var keyring = Volatile.Read(ref _keyring);
        for (var attempt = 0; keyring is not null && !_headStale; attempt++)
        {
            var from = (_lastCheckpoint?.ToSequence ?? 0) + 1;
            if (_lastSequence < from)
            {
                // Nothing new to seal; after a conflict, the other writer's checkpoint covers what this one wrote.
                checkpoint = attempt > 0 ? _lastCheckpoint : null;
                break;
            }

            try
            {
                checkpoint = Sign(keyring, new AuditCheckpoint
                {
                    LedgerId = _options.LedgerId,
                    FromSequence = from,
                    ToSequence = _lastSequence,
                    LastEventHash = _lastHash,
                    PreviousCheckpointHash = _lastCheckpointHash,
                    Timestamp = TruncateToMilliseconds(_time.GetUtcNow()),
                    KeyId = keyring.Active.KeyId,
                    Signature = ReadOnlyMemory<byte>.Empty,
                });
                await _store.AppendCheckpointAsync(checkpoint, CancellationToken.None).ConfigureAwait(false);
                _lastCheckpointHash = checkpoint.ComputeHash();
                Volatile.Write(ref _lastCheckpoint, checkpoint);
                Volatile.Write(ref _lastCheckpointError, null);
                break;
            }
            catch (AuditStoreConflictException) when (attempt < MaxConflictRetries)
            {
                // Another writer on the store signed a checkpoint first (or appended past this writer's head): take up
                // its chain and checkpoint, and seal only what it has not.
                checkpoint = null;
                try
                {
                    await LoadHeadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _headStale = true;
                    error = ex;
                    Volatile.Write(ref _lastCheckpointError, ex);
                    break;
                }
            }
            catch (Exception ex)
            {
                // Retried at the next trigger; events stay durable and verifiable by hash meanwhile.
                checkpoint = null;
                error = ex;
                Volatile.Write(ref _lastCheckpointError, ex);
                break;
            }
        }

        foreach (var waiter in waiters)
        {
            if (error is null)
            {
                waiter.TrySetResult(checkpoint);
            }
            else
            {
                waiter.TrySetException(error);
            }
        }
    }

    private static AuditCheckpoint Sign(AuditKeyring keyring, AuditCheckpoint unsigned)
    {
        var bytes = AuditCanonicalJson.EncodeCheckpoint(unsigned);
        return unsigned with { Signature = keyring.Active.Sign(bytes) };
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>The requests of one store call and, once hashed, their events (and encodings, when the store keeps them).</summary>
    private sealed class Batch(bool keepBodies)
    {
        public List<WriterRequest> Requests { get; } = [];

        public List<AuditEvent> Events { get; } = [];

        public List<byte[]>? Bodies { get; } = keepBodies ? [] : null;

        /// <summary>The companion writes of <see cref="Requests"/>, in order (null until one has one).</summary>
        public List<AuditCompanionWrite>? Companions { get; private set; }

        /// <summary>Events in <see cref="Requests"/>, hashed or not.</summary>
        public int EventCount { get; private set; }

        public DateTimeOffset Timestamp { get; set; }

        /// <summary>A checkpoint tick was read while topping the batch up.</summary>
        public bool SawTick { get; set; }

        public void Add(WriterRequest request)
        {
            Requests.Add(request);
            EventCount += request.EventCount;
            if (request.Companion is { } companion)
            {
                (Companions ??= []).Add(companion);
            }
        }

        /// <summary>The request that brought <paramref name="companion"/>, if it is in this batch.</summary>
        public WriterRequest? Owner(AuditCompanionWrite? companion) =>
            companion is null ? null : Requests.FirstOrDefault(r => ReferenceEquals(r.Companion, companion));

        /// <summary>Drops the hashes (the chain they continued was not written); the requests stay.</summary>
        public void ClearBuilt()
        {
            Events.Clear();
            Bodies?.Clear();
        }

        public void Complete()
        {
            var events = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Events);
            var offset = 0;
            foreach (var request in Requests)
            {
                request.Complete(events, offset);
                offset += request.EventCount;
            }
        }

        public void Fail(Exception exception)
        {
            foreach (var request in Requests)
            {
                request.Fail(exception);
            }
        }
    }

    /// <summary>
    /// A queued append (Draft set), an atomic group (GroupDrafts set) or a checkpoint request / tick (neither).
    /// Is its own completion source for single appends to save an allocation.
    /// </summary>
    private sealed class WriterRequest(AuditEventDraft? draft, TaskCompletionSource<AuditCheckpoint?>? checkpointWaiter)
        : TaskCompletionSource<AuditEvent>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public static readonly WriterRequest Tick = new(null, null);

        /// <summary>Times this request was queued again because its batch was not written (see <c>Requeue</c>).</summary>
        public int Requeues;

        public AuditEventDraft? Draft { get; } = draft;

        public TaskCompletionSource<AuditCheckpoint?>? CheckpointWaiter { get; } = checkpointWaiter;

        /// <summary>Canonical bytes after the time field, encoded on the caller's thread.</summary>
        public byte[] Tail { get; init; } = [];

        public AuditEventDraft[]? GroupDrafts { get; init; }

        public byte[][]? GroupTails { get; init; }

        public TaskCompletionSource<AuditEvent[]>? GroupCompletion { get; init; }

        /// <summary>A write to commit in the same store transaction as this request's events.</summary>
        public AuditCompanionWrite? Companion { get; init; }

        public int EventCount => GroupDrafts?.Length ?? (Draft is null ? 0 : 1);

        public (AuditEventDraft Draft, byte[] Tail) Get(int index) =>
            GroupDrafts is { } drafts ? (drafts[index], GroupTails![index]) : (Draft!, Tail);

        public void Complete(ReadOnlySpan<AuditEvent> events, int offset)
        {
            if (GroupCompletion is { } group)
            {
                group.TrySetResult(events.Slice(offset, EventCount).ToArray());
            }
            else
            {
                TrySetResult(events[offset]);
            }
        }

        public void Fail(Exception exception)
        {
            if (GroupCompletion is { } group)
            {
                group.TrySetException(exception);
            }
            else
            {
                TrySetException(exception);
            }
        }
    }
}
