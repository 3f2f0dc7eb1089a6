using Warden.Audit.Redaction;

namespace Warden.Audit;

/// <summary>Settings for <see cref="AuditWriter"/>.</summary>
public sealed record AuditWriterOptions
{
    /// <summary>Identifies the ledger; determines the genesis hash. Keep it stable for the life of the ledger.</summary>
    public required string LedgerId { get; init; }

    /// <summary>Most events written in one store call (one transaction).</summary>
    public int MaxBatchSize { get; init; } = 1024;

    /// <summary>Appends waiting to be written; beyond this <see cref="AuditWriter.AppendAsync"/> waits (back-pressure).</summary>
    public int QueueCapacity { get; init; } = 65_536;

    /// <summary>Sign a checkpoint after this many events (0 disables the count trigger).</summary>
    public int CheckpointEveryEvents { get; init; } = 10_000;

    /// <summary>Sign a checkpoint this often when events were written since the last one (<see cref="TimeSpan.Zero"/> disables).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// On start, re-hash the events after the last checkpoint and check they still end in what that checkpoint
    /// signed, so the writer never extends a chain that was altered while the server was down.
    /// </summary>
    public bool VerifyTailOnStart { get; init; } = true;

    /// <summary>Largest accepted canonical event in bytes (details included); bigger drafts are rejected.</summary>
    public int MaxEventBytes { get; init; } = 64 * 1024;

    /// <summary>Extra redaction rules.</summary>
    public RedactionOptions Redaction { get; init; } = new();
}
