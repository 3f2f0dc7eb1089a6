namespace Warden.Audit.Verification;

/// <summary>What is wrong at the first bad point of a ledger.</summary>
public enum VerificationProblemKind
{
    /// <summary>An event's content does not match its hash.</summary>
    Modified = 1,

    /// <summary>An event's previous-hash does not match the hash of the event before it (or the genesis value).</summary>
    ChainBroken = 2,

    /// <summary>Sequence numbers jump: one or more events are missing.</summary>
    Deleted = 3,

    /// <summary>A sequence number repeats: an event was inserted.</summary>
    Inserted = 4,

    /// <summary>Events are out of sequence order.</summary>
    Reordered = 5,

    /// <summary>A checkpoint's signature does not verify.</summary>
    BadCheckpointSignature = 6,

    /// <summary>A checkpoint names a key id that is not trusted.</summary>
    UnknownSigningKey = 7,

    /// <summary>A checkpoint disagrees with the events (last hash) or with the previous checkpoint (range, link, ledger).</summary>
    CheckpointMismatch = 8,

    /// <summary>Events end before the last sequence a checkpoint covers.</summary>
    TruncatedTail = 9,

    /// <summary>Input could not be read (bad line, bad JSON, bad header).</summary>
    Malformed = 10,

    /// <summary>
    /// An event's content is gone without a matching retention record: no <c>audit.retention.erase</c> event names
    /// it, or the erased events differ from what the record counted and digested, or the pruned prefix reaches past
    /// what an <c>audit.retention.compact</c> event recorded.
    /// </summary>
    Unrecorded = 11,
}
