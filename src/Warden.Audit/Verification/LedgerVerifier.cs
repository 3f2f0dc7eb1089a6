using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Storage;

namespace Warden.Audit.Verification;

/// <summary>
/// Verifies a ledger incrementally: feed events (and checkpoints) in stored order, then call <see cref="Complete"/>.
/// Needs only the ledger id (or genesis value) and trusted public keys. Stops at the first problem.
/// Single-threaded; allocation-free per event on the encoded path.
/// </summary>
/// <remarks>
/// Checkpoints may be added before the events they cover (as when reading a store) or immediately after the event
/// they end at (as in an export); they must be added in ascending order.
/// </remarks>
public sealed class LedgerVerifier
{
    private readonly string? _ledgerId;
    private readonly AuditPublicKeySet _keys;
    private readonly Queue<AuditCheckpoint> _pendingCheckpoints = new();

    private long _expected;
    private AuditHash _lastHash;
    private bool _trustFirstPrevious;
    private long _gapSequence = -1;
    private long _verified;
    private int _checkpointsVerified;
    private long _anchoredThrough;
    private AuditCheckpoint? _lastAddedCheckpoint;
    private readonly AuditHash _genesis;
    private readonly bool _partial;
    private long _prunedThrough;
    private long _erased;
    private VerificationProblem? _problem;

    /// <summary>A verifier for a whole ledger starting at sequence 1.</summary>
    public LedgerVerifier(string ledgerId, AuditPublicKeySet keys)
        : this(AuditCanonicalJson.ComputeGenesis(ledgerId), keys)
    {
        _ledgerId = ledgerId;
    }

    /// <summary>
    /// A verifier for a whole ledger whose events 1..<paramref name="prunedThrough"/> were removed by retention
    /// (0: none). Every checkpoint from the first is still expected (each signed and linked to the one before, from
    /// the genesis value); one must end exactly at <paramref name="prunedThrough"/>, and the first retained event
    /// must chain to the hash that checkpoint signed. So the retained part is as strongly anchored as a full ledger.
    /// </summary>
    public LedgerVerifier(string ledgerId, AuditPublicKeySet keys, long prunedThrough)
        : this(ledgerId, keys)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prunedThrough);
        _prunedThrough = prunedThrough;
    }

    /// <summary>
    /// A verifier starting at <paramref name="firstSequence"/>. For a partial range pass
    /// <paramref name="trustFirstPrevious"/> so the first event's previous hash is taken as given
    /// (checkpoints starting inside the range are then trusted to link to an unseen predecessor).
    /// </summary>
    public LedgerVerifier(AuditHash genesis, AuditPublicKeySet keys, long firstSequence = 1, bool trustFirstPrevious = false)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        _genesis = genesis;
        _lastHash = genesis;
        _expected = firstSequence;
        _anchoredThrough = firstSequence - 1;
        _trustFirstPrevious = trustFirstPrevious || firstSequence != 1;
        _partial = _trustFirstPrevious;
    }

    /// <summary>The first problem found so far, if any.</summary>
    public VerificationProblem? Problem => _problem;

    /// <summary>Checks one stored event.</summary>
    /// <returns><see langword="false"/> once a problem has been found (further input is ignored).</returns>
    public bool AddEvent(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (_problem is not null)
        {
            return false;
        }

        return Check(auditEvent.Sequence, auditEvent.PreviousHash, auditEvent.Hash, SafeHash(auditEvent));
    }

    /// <summary>
    /// Checks the place of an event whose content retention erased: only its stated hash remains, so its link to
    /// the event before and the next event's link to it are checked (and any checkpoint ending at it), not its
    /// content. Whether the erasure was recorded is <see cref="ErasureAccounting"/>'s job.
    /// </summary>
    public bool AddErasedEvent(long sequence, in AuditHash previousHash, in AuditHash storedHash) =>
        _problem is null && Check(sequence, previousHash, storedHash, storedHash, erased: true);

    /// <summary>Checks one event given as its canonical bytes plus stated hashes (the export path).</summary>
    public bool AddEncodedEvent(long sequence, in AuditHash previousHash, in AuditHash storedHash, ReadOnlySpan<byte> canonical)
    {
        if (_problem is not null)
        {
            return false;
        }

        return Check(sequence, previousHash, storedHash, AuditCanonicalJson.ComputeEventHash(previousHash, canonical));
    }

    /// <summary>
    /// Checks a run of consecutive stored events given as canonical bytes plus stated hashes (the fast path for
    /// stores and exports). Re-hashing is independent per event, so a large run is hashed on all cores; the chain
    /// checks then run in order over the results, exactly as <see cref="AddEncodedEvent"/> would one by one.
    /// </summary>
    /// <returns><see langword="false"/> once a problem has been found (further input is ignored).</returns>
    public bool AddEncodedEvents(ReadOnlyMemory<EncodedAuditEvent> events)
    {
        if (_problem is not null)
        {
            return false;
        }

        var count = events.Length;
        var hashes = System.Buffers.ArrayPool<AuditHash>.Shared.Rent(count);
        try
        {
            ParallelHash(count, i =>
            {
                ref readonly var e = ref events.Span[i];
                return AuditCanonicalJson.ComputeEventHash(e.PreviousHash, e.Canonical.Span);
            }, hashes);
            var span = events.Span;
            for (var i = 0; i < count; i++)
            {
                ref readonly var e = ref span[i];
                if (!Check(e.Sequence, e.PreviousHash, e.Hash, hashes[i]))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<AuditHash>.Shared.Return(hashes);
        }
    }

    /// <summary>Checks one event whose hash was already recomputed (lets callers hash batches in parallel).</summary>
    internal bool AddHashedEvent(long sequence, in AuditHash previousHash, in AuditHash storedHash, in AuditHash computedHash) =>
        _problem is null && Check(sequence, previousHash, storedHash, computedHash);

    /// <summary>Checks a checkpoint's signature and its link to the previous checkpoint, and queues it to be matched against events.</summary>
    public bool AddCheckpoint(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (_problem is not null)
        {
            return false;
        }

        var to = checkpoint.ToSequence;
        if (!_keys.TryGet(checkpoint.KeyId, out var key))
        {
            return Fail(VerificationProblemKind.UnknownSigningKey, to, $"Checkpoint [{checkpoint.FromSequence}, {to}] is signed by untrusted key '{checkpoint.KeyId}'.");
        }

        var bytes = AuditCanonicalJson.EncodeCheckpoint(checkpoint);
        if (!key.Verify(bytes, checkpoint.Signature.Span))
        {
            return Fail(VerificationProblemKind.BadCheckpointSignature, to, $"Checkpoint [{checkpoint.FromSequence}, {to}] has an invalid signature.");
        }

        if (_ledgerId is not null && checkpoint.LedgerId != _ledgerId)
        {
            return Fail(VerificationProblemKind.CheckpointMismatch, to, $"Checkpoint belongs to ledger '{checkpoint.LedgerId}'.");
        }

        var previous = _lastAddedCheckpoint;
        if (previous is not null)
        {
            if (checkpoint.FromSequence != previous.ToSequence + 1 || checkpoint.PreviousCheckpointHash != previous.ComputeHash())
            {
                return Fail(VerificationProblemKind.CheckpointMismatch, to, $"Checkpoint [{checkpoint.FromSequence}, {to}] does not follow checkpoint [{previous.FromSequence}, {previous.ToSequence}].");
            }
        }
        else if (!_partial && (checkpoint.FromSequence != 1 || checkpoint.PreviousCheckpointHash != _genesis))
        {
            return Fail(VerificationProblemKind.CheckpointMismatch, to, "The first checkpoint does not start the ledger (from 1, linked to the genesis value).");
        }

        if (to < checkpoint.FromSequence)
        {
            return Fail(VerificationProblemKind.CheckpointMismatch, to, "Checkpoint range is empty.");
        }

        _lastAddedCheckpoint = checkpoint;
        var lastSeen = _expected - 1;
        if (_partial && _verified == 0 && _erased == 0 && to == lastSeen && _gapSequence < 0 && _pendingCheckpoints.Count == 0)
        {
            // A partial range that starts right after this checkpoint: its first event must chain to the hash the
            // checkpoint signed, so the range is anchored instead of trusting its first link.
            _lastHash = checkpoint.LastEventHash;
            _trustFirstPrevious = false;
            _anchoredThrough = to;
            _checkpointsVerified++;
            return true;
        }

        if (to > lastSeen)
        {
            _pendingCheckpoints.Enqueue(checkpoint);
            return true;
        }

        if (to == lastSeen && _gapSequence < 0)
        {
            return MatchCheckpoint(checkpoint, _lastHash);
        }

        return Fail(VerificationProblemKind.CheckpointMismatch, to, $"Checkpoint [{checkpoint.FromSequence}, {to}] appears after event {lastSeen}, not directly after the event it covers.");
    }

    /// <summary>
    /// Finishes: resolves a trailing gap and checks no checkpoint covers events that are missing. Pass
    /// <paramref name="expectedLastSequence"/> (e.g. from a separately obtained latest checkpoint or the live chain
    /// head) to also detect a tail cut off together with its checkpoints.
    /// </summary>
    public VerificationReport Complete(long? expectedLastSequence = null)
    {
        AnchorAfterPrunedPrefix();
        if (_problem is null && _gapSequence >= 0)
        {
            Fail(VerificationProblemKind.Deleted, _expected, $"Events from {_expected} to {_gapSequence - 1} are missing.");
        }

        if (_problem is null && _pendingCheckpoints.TryPeek(out var pending))
        {
            var last = _expected - 1;
            Fail(VerificationProblemKind.TruncatedTail, last + 1, $"Events end at {last} but checkpoint [{pending.FromSequence}, {pending.ToSequence}] covers more.");
        }

        if (_problem is null && expectedLastSequence is { } expected && _expected - 1 < expected)
        {
            Fail(VerificationProblemKind.TruncatedTail, _expected, $"Events end at {_expected - 1} but {expected} were expected.");
        }

        return new VerificationReport
        {
            Problem = _problem,
            EventsVerified = _verified,
            CheckpointsVerified = _checkpointsVerified,
            LastSequence = _expected - 1,
            LastHash = _lastHash,
            UnanchoredEvents = (_expected - 1) - _anchoredThrough,
            ErasedEvents = _erased,
            PrunedThrough = _prunedThrough,
        };
    }

    /// <summary>
    /// Verifies everything in a store: all events from sequence 1 (or, for a store retention pruned, from the
    /// checkpoint that anchors what is left), all checkpoints, and that every erased event is accounted for.
    /// </summary>
    public static async Task<VerificationReport> VerifyStoreAsync(IAuditLedgerStore store, string ledgerId, AuditPublicKeySet keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var prunable = store as IPrunableAuditLedgerStore;
        var prunedThrough = prunable is null ? 0 : await prunable.GetPrunedThroughAsync(cancellationToken).ConfigureAwait(false);
        var verifier = new LedgerVerifier(ledgerId, keys, prunedThrough);

        // Checkpoints are few (one per thousands of events) and are registered up front; events then stream past them.
        await foreach (var checkpoint in store.ReadCheckpointsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (!verifier.AddCheckpoint(checkpoint))
            {
                return verifier.Complete();
            }
        }

        // Re-encoding and hashing is the expensive part and is independent per event, so it runs in parallel
        // over chunks; the chain checks then run in order over the precomputed hashes.
        var erasures = new ErasureAccounting();
        var chunk = new List<AuditLedgerEntry>(ParallelChunk);
        var hashes = new AuditHash[ParallelChunk];
        var entries = prunable is not null ? prunable.ReadEntriesAsync(prunedThrough + 1, long.MaxValue, cancellationToken) : Whole(store.ReadEventsAsync(1, long.MaxValue, cancellationToken));
        await foreach (var entry in entries.ConfigureAwait(false))
        {
            chunk.Add(entry);
            if (chunk.Count == ParallelChunk && !VerifyChunk(verifier, erasures, chunk, hashes))
            {
                return verifier.Complete();
            }
        }

        VerifyChunk(verifier, erasures, chunk, hashes);
        var report = verifier.Complete();
        return report.IsIntact && erasures.Complete(prunedThrough, report.LastSequence - report.UnanchoredEvents) is { } unrecorded ? report with { Problem = unrecorded } : report;
    }

    private static async IAsyncEnumerable<AuditLedgerEntry> Whole(IAsyncEnumerable<AuditEvent> events)
    {
        await foreach (var e in events.ConfigureAwait(false))
        {
            yield return new AuditLedgerEntry(e, null);
        }
    }

    private const int ParallelChunk = 2048;

    private static bool VerifyChunk(LedgerVerifier verifier, ErasureAccounting erasures, List<AuditLedgerEntry> chunk, AuditHash[] hashes)
    {
        ParallelHash(chunk.Count, i => chunk[i].Event is { } e ? SafeHash(e) : default, hashes);
        for (var i = 0; i < chunk.Count; i++)
        {
            if (chunk[i].Erased is { } erased)
            {
                erasures.AddErased(erased.Sequence, erased.Hash, erased.ErasedBy);
                if (!verifier.AddErasedEvent(erased.Sequence, erased.PreviousHash, erased.Hash))
                {
                    return false;
                }

                continue;
            }

            var e = chunk[i].Event!;
            if (!verifier.AddHashedEvent(e.Sequence, e.PreviousHash, e.Hash, hashes[i])
                || (erasures.AddEvent(e) is { } problem && !verifier.ReportMalformed(problem)))
            {
                return false;
            }
        }

        chunk.Clear();
        return true;
    }

    /// <summary>
    /// Recomputed hash, or zero when a (corrupted) stored event cannot even be encoded: verification reports it as
    /// modified instead of crashing.
    /// </summary>
    private static AuditHash SafeHash(AuditEvent e)
    {
        try
        {
            return AuditCanonicalJson.ComputeEventHash(e);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return AuditHash.Zero;
        }
    }

    /// <summary>Fills <paramref name="results"/>[0..count) using all cores when the batch is big enough to be worth it.</summary>
    internal static void ParallelHash(int count, Func<int, AuditHash> hash, AuditHash[] results)
    {
        var workers = Math.Min(Environment.ProcessorCount, count / 64);
        if (workers <= 1)
        {
            for (var i = 0; i < count; i++)
            {
                results[i] = hash(i);
            }

            return;
        }

        // Contiguous ranges per worker: cheap scheduling and cache-friendly.
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var start = (int)((long)count * worker / workers);
            var end = (int)((long)count * (worker + 1) / workers);
            for (var i = start; i < end; i++)
            {
                results[i] = hash(i);
            }
        });
    }

    /// <summary>Records a malformed-input problem at the current position.</summary>
    public bool ReportMalformed(string message) => Fail(VerificationProblemKind.Malformed, _expected, message);

    /// <summary>
    /// For a ledger pruned through P: before the first retained event, the checkpoints ending at or before P (already
    /// checked for signature and link) are matched by position: the last must end exactly at P, and its signed last
    /// hash becomes the hash the next event must chain to.
    /// </summary>
    private void AnchorAfterPrunedPrefix()
    {
        if (_prunedThrough <= 0 || _expected != 1 || _problem is not null)
        {
            return;
        }

        AuditCheckpoint? anchor = null;
        var count = 0;
        while (_pendingCheckpoints.TryPeek(out var checkpoint) && checkpoint.ToSequence <= _prunedThrough)
        {
            anchor = _pendingCheckpoints.Dequeue();
            count++;
        }

        if (anchor is null || anchor.ToSequence != _prunedThrough)
        {
            Fail(VerificationProblemKind.Deleted, 1, $"Events 1 to {_prunedThrough} were pruned, but no checkpoint ends at {_prunedThrough} to anchor what follows.");
            return;
        }

        _checkpointsVerified += count;
        _lastHash = anchor.LastEventHash;
        _expected = _prunedThrough + 1;
        _anchoredThrough = _prunedThrough;
    }

    private bool Check(long sequence, in AuditHash previous, in AuditHash stored, in AuditHash computed, bool erased = false)
    {
        AnchorAfterPrunedPrefix();
        if (_problem is not null)
        {
            return false;
        }

        if (_gapSequence >= 0)
        {
            // The event after a forward jump decides between a swap and a deletion.
            return sequence == _expected
                ? Fail(VerificationProblemKind.Reordered, _expected, $"Event {_expected} appears after event {_gapSequence}.")
                : Fail(VerificationProblemKind.Deleted, _expected, $"Events from {_expected} to {_gapSequence - 1} are missing.");
        }

        if (sequence > _expected)
        {
            _gapSequence = sequence;
            return true;
        }

        if (sequence < _expected)
        {
            return sequence == _expected - 1
                ? Fail(VerificationProblemKind.Inserted, sequence, $"Sequence {sequence} occurs twice.")
                : Fail(VerificationProblemKind.Reordered, sequence, $"Event {sequence} appears after event {_expected - 1}.");
        }

        if (computed != stored)
        {
            return Fail(VerificationProblemKind.Modified, sequence, $"Event {sequence} does not match its hash.");
        }

        if (previous != _lastHash && !_trustFirstPrevious)
        {
            return Fail(VerificationProblemKind.ChainBroken, sequence, sequence == 1
                ? "Event 1 does not chain to this ledger's genesis value."
                : $"Event {sequence} does not chain to event {sequence - 1}.");
        }

        _trustFirstPrevious = false;
        _lastHash = stored;
        _expected = sequence + 1;
        if (erased)
        {
            _erased++;
        }
        else
        {
            _verified++;
        }

        while (_pendingCheckpoints.TryPeek(out var checkpoint) && checkpoint.ToSequence == sequence)
        {
            _pendingCheckpoints.Dequeue();
            if (!MatchCheckpoint(checkpoint, stored))
            {
                return false;
            }
        }

        return true;
    }

    private bool MatchCheckpoint(AuditCheckpoint checkpoint, in AuditHash eventHash)
    {
        if (checkpoint.LastEventHash != eventHash)
        {
            return Fail(VerificationProblemKind.CheckpointMismatch, checkpoint.ToSequence, $"Event {checkpoint.ToSequence} differs from what checkpoint [{checkpoint.FromSequence}, {checkpoint.ToSequence}] signed: events in that range were rewritten.");
        }

        _checkpointsVerified++;
        _anchoredThrough = checkpoint.ToSequence;
        return true;
    }

    private bool Fail(VerificationProblemKind kind, long sequence, string message)
    {
        _problem ??= new VerificationProblem(kind, sequence, message);
        return false;
    }
}
