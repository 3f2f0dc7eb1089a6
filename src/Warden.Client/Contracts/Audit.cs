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
    string? Problem = null,
    long ErasedEvents = 0,
    long PrunedThrough = 0);

/// <summary>
/// An org's (or, with scope <c>_site</c>, the site's) audit retention: events older than <see cref="Days"/> are
/// erased (null: kept forever), unless a legal hold is active.
/// </summary>
public sealed record AuditRetentionDto(string Scope, int? Days, DateTimeOffset? UpdatedAt, string? UpdatedBy, IReadOnlyList<LegalHoldDto> Holds);

/// <summary>A legal hold on an org's trail (on the site: the whole ledger).</summary>
public sealed record LegalHoldDto(string Id, string Reason, bool Active, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ReleasedAt, string? ReleasedBy);

/// <summary>Sets the retention period; null keeps events forever.</summary>
public sealed record SetAuditRetentionRequest(int? Days);

/// <summary>Places a legal hold.</summary>
public sealed record PlaceLegalHoldRequest(string Reason);

/// <summary>What a retention run did, or with <see cref="DryRun"/> would do.</summary>
public sealed record AuditRetentionRunDto(bool DryRun, IReadOnlyList<AuditErasureDto> Erasures, long PrunedThrough, long? CompactedThrough);

/// <summary>One erasure batch: whose events, under which period, how many, and the record that accounts for them.</summary>
public sealed record AuditErasureDto(string Org, int Days, DateTimeOffset Cutoff, int Events, long? RecordSequence, bool Applied);

/// <summary>A checkpoint-signing public key.</summary>
public sealed record AuditKeyDto(string KeyId, string PublicKeyPem, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

/// <summary>Body of <c>POST /api/v1/orgs/{org}/audit/ingest-keys</c>.</summary>
/// <param name="Name">What the key is for.</param>
/// <param name="Vendor">Vendor recorded on events from senders Warden does not recognise (default <c>otlp</c>).</param>
public sealed record CreateIngestKeyRequest(string Name, string? Vendor = null);

/// <summary>An ingestion key (never its secret).</summary>
public sealed record IngestKeyDto(string Id, string Name, string Vendor, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>A new ingestion key with its secret, shown this once: send it as <c>Authorization: Bearer wik_...</c> to <c>/v1/logs</c>.</summary>
public sealed record CreatedIngestKeyDto(IngestKeyDto Key, string Secret);

/// <summary>The result of an import: how many events were written and their sequence range.</summary>
public sealed record AuditImportResultDto(int Imported, long? FirstSequence, long? LastSequence, int Skipped = 0);
