using System.Text.Json;
using Warden.Audit;
using Warden.Data.Identity;
using AuditActorKind = Warden.Audit.ActorKind;

namespace Warden.Data.Audit;

/// <summary>Builds audit drafts for actions taken by Warden's own actors.</summary>
public static class AuditDrafts
{
    /// <summary>
    /// The pseudo-org of events that belong to a user rather than an org (sign-in, tokens). An org's audit view
    /// includes them for the org's members.
    /// </summary>
    public const string SiteOrg = "_site";

    /// <summary>The audit form of an identity actor.</summary>
    public static AuditActor ActorOf(Actor actor) =>
        new(actor.Kind == Identity.ActorKind.System ? AuditActorKind.System : AuditActorKind.User, actor.UserId, actor.Name);

    /// <summary>A draft for <paramref name="action"/> by <paramref name="actor"/> on a resource in <paramref name="orgId"/>.</summary>
    public static AuditEventDraft For(Actor actor, string orgId, string action, string resourceType, string resourceId,
        IReadOnlyDictionary<string, string?>? details = null, AuditOutcome outcome = AuditOutcome.Success) => new()
        {
            OrgId = orgId,
            Actor = ActorOf(actor),
            Action = action,
            Resource = new AuditResource(resourceType, resourceId),
            Outcome = outcome,
            Details = details is null ? null : Details(details),
        };

    /// <summary>A details object from string pairs, keys in ordinal order; null values are left out.</summary>
    /// <remarks>
    /// Ordinal key order is the canonical order for the keys Warden writes (ASCII names), so the writer finds these
    /// details already canonical and keeps them as they are instead of sorting and re-parsing them for every event
    /// (<see cref="AuditWriter"/>; which order the keys come in never changes the stored bytes, only that cost).
    /// </remarks>
    public static JsonElement Details(IReadOnlyDictionary<string, string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var keys = new string[values.Count];
        var count = 0;
        foreach (var key in values.Keys)
        {
            keys[count++] = key;
        }

        Array.Sort(keys, StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var key in keys)
            {
                if (values[key] is { } value)
                {
                    writer.WriteString(key, value);
                }
            }

            writer.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        return doc.RootElement.Clone();
    }
}
