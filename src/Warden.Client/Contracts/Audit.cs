using System.Text.Json;

namespace Warden.Client.Contracts;

/// <summary>
/// One audit event. <see cref="Record"/> is the canonical encoding the hash covers (the authoritative form); the other
/// fields repeat parts of it for listing and filtering.
/// </summary>
public sealed record AuditEventDto(
    long Sequence,
    DateTimeOffset Time,
    string Org,
    string ActorKind,
    string ActorId,
    string? ActorDisplay,
    string Vendor,
    string Product,
    string? SessionId,
    string Action,
    string? ResourceType,
    string? ResourceId,
    string Outcome,
    string Hash,
    string PreviousHash,
    JsonElement Record);

/// <summary>A page of events, newest first, and the cursor for the next (<c>before</c>) or following (<c>after</c>) page.</summary>
public sealed record AuditPageDto(IReadOnlyList<AuditEventDto> Events, long? Next);

/// <summary>The result of verifying the ledger.</summary>
public sealed record AuditVerificationDto(
    bool Intact,
    long EventsVerified,
    int CheckpointsVerified,
    long LastSequence,
    string LastHash,
    long UnanchoredEvents,
    string? ProblemKind = null,
    long? ProblemSequence = null,
    string? Problem = null);

/// <summary>A checkpoint-signing public key.</summary>
public sealed record AuditKeyDto(string KeyId, string PublicKeyPem, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);
