namespace Warden.Audit.Verification;

/// <summary>Outcome of verifying a ledger or export.</summary>
public sealed record VerificationReport
{
    /// <summary>True when no problem was found.</summary>
    public bool IsIntact => Problem is null;

    /// <summary>The first problem, or <see langword="null"/>.</summary>
    public VerificationProblem? Problem { get; init; }

    /// <summary>Events whose hash and chain link were checked successfully.</summary>
    public long EventsVerified { get; init; }

    /// <summary>Checkpoints whose signature, chain link and last hash were checked successfully.</summary>
    public int CheckpointsVerified { get; init; }

    /// <summary>Sequence of the last good event (0 if none).</summary>
    public long LastSequence { get; init; }

    /// <summary>Hash of the last good event.</summary>
    public AuditHash LastHash { get; init; }

    /// <summary>
    /// Good events after the last verified checkpoint. Their integrity rests on hashes alone: deleting them from
    /// the tail is not detectable until a checkpoint covers them.
    /// </summary>
    public long UnanchoredEvents { get; init; }

    /// <summary>
    /// Events whose content retention erased: their place in the chain was checked (links, checkpoints), and the
    /// erasure against its recorded <c>audit.retention.erase</c> event, but not their content, which is gone.
    /// </summary>
    public long ErasedEvents { get; init; }

    /// <summary>Events 1..this were removed by retention; verification started from the checkpoint ending here (0: none).</summary>
    public long PrunedThrough { get; init; }
}
