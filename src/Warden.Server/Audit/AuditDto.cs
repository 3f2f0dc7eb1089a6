using System.Text.Json;
using Warden.Audit;
using Warden.Audit.Canonical;
using Warden.Audit.Verification;
using Warden.Client.Contracts;

namespace Warden.Server.Audit;

/// <summary>Maps ledger types to API shapes.</summary>
public static class AuditDto
{
    /// <summary>An event, with its canonical record.</summary>
    public static AuditEventDto From(AuditEvent e)
    {
        using var doc = JsonDocument.Parse(AuditCanonicalJson.EncodeEvent(e));
        return new AuditEventDto(
            e.Sequence, e.Timestamp, e.OrgId, AuditCanonicalJson.ToText(e.Actor.Kind), e.Actor.Id, e.Actor.Display,
            e.Source.Vendor, e.Source.Product, e.Source.SessionId, e.Action, e.Resource?.Type, e.Resource?.Id,
            AuditCanonicalJson.ToText(e.Outcome), e.Hash.ToString(), e.PreviousHash.ToString(), doc.RootElement.Clone());
    }

    /// <summary>A verification report.</summary>
    public static AuditVerificationDto From(VerificationReport r) => new(
        r.IsIntact, r.EventsVerified, r.CheckpointsVerified, r.LastSequence, r.LastHash.ToString(), r.UnanchoredEvents,
        r.Problem?.Kind.ToString(), r.Problem?.Sequence, r.Problem?.Message, r.ErasedEvents, r.PrunedThrough);

    /// <summary>Retention settings and holds.</summary>
    public static AuditRetentionDto From(Data.Audit.AuditRetention r) =>
        new(r.Scope, r.Days, r.UpdatedAt, r.UpdatedBy, r.Holds.Select(From).ToList());

    /// <summary>A legal hold.</summary>
    public static LegalHoldDto From(Data.Audit.LegalHold h) => new(h.Id, h.Reason, h.IsActive, h.CreatedAt, h.CreatedBy, h.ReleasedAt, h.ReleasedBy);

    /// <summary>A retention run; org ids are shown as stored (the site's as <c>_site</c>).</summary>
    public static AuditRetentionRunDto From(AuditRetentionRun r) => new(
        r.DryRun, r.Erasures.Select(e => new AuditErasureDto(e.OrgId, e.Days, e.Cutoff, e.Events, e.RecordSequence, e.Applied)).ToList(), r.PrunedThrough, r.CompactedThrough);
}
