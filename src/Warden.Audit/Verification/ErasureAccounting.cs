using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Warden.Audit.Verification;

/// <summary>
/// Checks that every event whose content retention erased is accounted for by an <c>audit.retention.erase</c> event
/// in the chain, and that a pruned prefix is recorded by an <c>audit.retention.compact</c> event. Feed it the erased
/// entries and the retention records as the verifier passes them (the records are themselves hash-checked there),
/// then call <see cref="Complete"/>.
/// </summary>
/// <remarks>
/// An erase record states <c>count</c>, <c>first_seq</c>, <c>last_seq</c> and <c>digest</c>: SHA-256 over, for each
/// erased event in ascending order, its sequence (8 bytes, big-endian) followed by its 32-byte hash
/// (<see cref="ComputeDigest"/>). The record is appended (durably) before the content is erased, in one transaction,
/// so the events a record names are either all erased or none (an erasure interrupted before it ran). Anything
/// else means content was removed outside retention: reported as <see cref="VerificationProblemKind.Unrecorded"/>.
/// When the prefix holding some of a record's events was later pruned, only the events still stored are checked,
/// for lying within the record's range.
/// </remarks>
public sealed class ErasureAccounting
{
    /// <summary>
    /// How a retention record's action reads in canonical bytes: a cheap filter for verifiers that hold only the
    /// bytes, before parsing the event for <see cref="AddEvent"/>.
    /// </summary>
    public static ReadOnlySpan<byte> RecordMarker => "\"action\":\"audit.retention."u8;

    private readonly Dictionary<long, Group> _groups = [];
    private readonly Dictionary<long, Record> _records = [];
    private long _compactedThrough;
    private long _compactedBefore;
    private long _compactedAt;

    /// <summary>The digest an erase record states for the given events (ascending by sequence).</summary>
    public static string ComputeDigest(IEnumerable<(long Sequence, AuditHash Hash)> erased)
    {
        ArgumentNullException.ThrowIfNull(erased);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> entry = stackalloc byte[8 + AuditHash.Size];
        foreach (var (sequence, hash) in erased)
        {
            BinaryPrimitives.WriteInt64BigEndian(entry, sequence);
            hash.WriteTo(entry[8..]);
            sha.AppendData(entry);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>An erased event, in ascending order, and the sequence of the erase record it names.</summary>
    public void AddErased(long sequence, in AuditHash hash, long erasedBy)
    {
        if (!_groups.TryGetValue(erasedBy, out var group))
        {
            group = new Group(sequence);
            _groups[erasedBy] = group;
        }

        group.Count++;
        group.Last = sequence;
        Span<byte> entry = stackalloc byte[8 + AuditHash.Size];
        BinaryPrimitives.WriteInt64BigEndian(entry, sequence);
        hash.WriteTo(entry[8..]);
        group.Sha.AppendData(entry);
    }

    /// <summary>
    /// A verified event: retention records among them are remembered (other actions are ignored). Returns a
    /// message when a retention record's details cannot be read.
    /// </summary>
    public string? AddEvent(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (auditEvent.Action == AuditActions.RetentionErase)
        {
            if (auditEvent.Details is not { ValueKind: JsonValueKind.Object } d
                || !TryLong(d, "count", out var count) || !TryLong(d, "first_seq", out var first) || !TryLong(d, "last_seq", out var last)
                || !d.TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.String)
            {
                return $"Retention record {auditEvent.Sequence} does not state count, first_seq, last_seq and digest.";
            }

            _records[auditEvent.Sequence] = new Record(count, first, last, digest.GetString()!);
        }
        else if (auditEvent.Action == AuditActions.RetentionCompact)
        {
            if (auditEvent.Details is not { ValueKind: JsonValueKind.Object } d || !TryLong(d, "through_seq", out var through))
            {
                return $"Retention record {auditEvent.Sequence} does not state through_seq.";
            }

            if (through > _compactedThrough)
            {
                _compactedBefore = _compactedThrough;
                _compactedThrough = through;
                _compactedAt = auditEvent.Sequence;
            }
        }

        return null;
    }

    /// <summary>
    /// Matches erased events against their records. For a range that is not the whole ledger (<paramref name="wholeLedger"/> false, starting at
    /// <paramref name="firstSequence"/>), records may lie outside it: only the records it holds are checked, and those
    /// that erased events before the range only for range.
    /// </summary>
    /// <param name="prunedThrough">Events 1..this were pruned.</param>
    /// <param name="anchoredThrough">
    /// The last sequence a verified checkpoint covers: a retention record after it rests on hashes alone (anyone with
    /// write access could append one), so it accounts for nothing. Retention checkpoints right after each record.
    /// </param>
    /// <param name="wholeLedger">False for an export of a range.</param>
    /// <param name="firstSequence">The range's first sequence.</param>
    public VerificationProblem? Complete(long prunedThrough, long anchoredThrough, bool wholeLedger = true, long firstSequence = 1)
    {
        foreach (var late in _records.Keys.Where(k => k > anchoredThrough).ToList())
        {
            _records.Remove(late);
        }

        if (_compactedAt > anchoredThrough)
        {
            _compactedThrough = _compactedBefore;
        }

        if (!wholeLedger)
        {
            prunedThrough = Math.Max(prunedThrough, firstSequence - 1);
        }

        if (wholeLedger && prunedThrough > _compactedThrough)
        {
            return new VerificationProblem(VerificationProblemKind.Unrecorded, Math.Min(_compactedThrough + 1, prunedThrough),
                $"Events 1 to {prunedThrough} are gone, but retention recorded pruning only through {_compactedThrough}.");
        }

        foreach (var (erasedBy, group) in _groups.OrderBy(g => g.Value.First))
        {
            var at = group.First;
            if (!_records.TryGetValue(erasedBy, out var record))
            {
                if (!wholeLedger)
                {
                    continue;
                }

                return new VerificationProblem(VerificationProblemKind.Unrecorded, at,
                    $"Event {at} was erased, but no retention record {erasedBy.ToString(CultureInfo.InvariantCulture)} accounts for it.");
            }

            if (group.First < record.First || group.Last > record.Last || group.Last >= erasedBy)
            {
                return new VerificationProblem(VerificationProblemKind.Unrecorded, at,
                    $"Events {group.First} to {group.Last} were erased outside the range [{record.First}, {record.Last}] retention record {erasedBy} names.");
            }

            var partlyPruned = record.First <= prunedThrough;
            var digest = Convert.ToHexStringLower(group.Sha.GetHashAndReset());
            if (!partlyPruned && (group.Count != record.Count || digest != record.Digest))
            {
                return new VerificationProblem(VerificationProblemKind.Unrecorded, at,
                    $"Retention record {erasedBy} erased {record.Count} events, but {group.Count} erased events name it (or they are not the ones it digested).");
            }
        }

        return null;
    }

    private static bool TryLong(JsonElement o, string name, out long value)
    {
        value = 0;
        return o.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out value);
    }

    private sealed class Group(long first)
    {
        public long First { get; } = first;

        public long Last { get; set; }

        public long Count { get; set; }

        public IncrementalHash Sha { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    private sealed record Record(long Count, long First, long Last, string Digest);
}
