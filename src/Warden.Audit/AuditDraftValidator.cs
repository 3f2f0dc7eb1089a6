using System.Text.Json;

namespace Warden.Audit;

/// <summary>Rejects drafts the ledger must not accept, before they reach the queue.</summary>
internal static class AuditDraftValidator
{
    private const int MaxIdLength = 512;
    private const int MaxActionLength = 128;

    public static void Validate(AuditEventDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        RequireText(draft.OrgId, nameof(draft.OrgId));
        ArgumentNullException.ThrowIfNull(draft.Actor, nameof(draft.Actor));
        RequireText(draft.Actor.Id, "Actor.Id");
        if (!Enum.IsDefined(draft.Actor.Kind))
        {
            throw new ArgumentException($"Unknown actor kind {draft.Actor.Kind}.", nameof(draft));
        }

        RequireValidUtf16(draft.Actor.Display, "Actor.Display");
        RequireValidUtf16(draft.OnBehalfOf, nameof(draft.OnBehalfOf));
        ArgumentNullException.ThrowIfNull(draft.Source, nameof(draft.Source));
        RequireValidUtf16(draft.Source.SessionId, "Source.SessionId");
        RequireValidUtf16(draft.Source.ExternalEventId, "Source.ExternalEventId");
        RequireText(draft.Source.Vendor, "Source.Vendor");
        RequireText(draft.Source.Product, "Source.Product");
        ValidateAction(draft.Action);
        if (draft.Resource is { } resource)
        {
            RequireText(resource.Type, "Resource.Type");
            ArgumentNullException.ThrowIfNull(resource.Id, "Resource.Id");
            RequireValidUtf16(resource.Id, "Resource.Id");
        }

        if (draft.Policy is { } policy)
        {
            if (!Enum.IsDefined(policy.Effect))
            {
                throw new ArgumentException($"Unknown policy effect {policy.Effect}.", nameof(draft));
            }

            ArgumentNullException.ThrowIfNull(policy.PolicySetVersion, "Policy.PolicySetVersion");
            ArgumentNullException.ThrowIfNull(policy.DeterminingPolicies, "Policy.DeterminingPolicies");
            ArgumentNullException.ThrowIfNull(policy.ErroringPolicies, "Policy.ErroringPolicies");
            if (policy.DeterminingPolicies.Any(p => p is null) || policy.ErroringPolicies.Any(p => p is null))
            {
                throw new ArgumentException("Policy ids must not be null.", nameof(draft));
            }

            RequireValidUtf16(policy.PolicySetVersion, "Policy.PolicySetVersion");
            foreach (var id in policy.DeterminingPolicies.Concat(policy.ErroringPolicies))
            {
                RequireValidUtf16(id, "Policy ids");
            }
        }

        if (!Enum.IsDefined(draft.Outcome))
        {
            throw new ArgumentException($"Unknown outcome {draft.Outcome}.", nameof(draft));
        }

        if (draft.Details is { } details && details.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("Details must be a JSON object.", nameof(draft));
        }

        if (draft.Cost is { } cost)
        {
            RequireText(cost.Unit, "Cost.Unit");
        }

        if (draft.TraceId is not null && !IsW3CId(draft.TraceId, 32))
        {
            throw new ArgumentException("TraceId must be 32 lowercase hex digits, not all zero.", nameof(draft));
        }

        if (draft.SpanId is not null && !IsW3CId(draft.SpanId, 16))
        {
            throw new ArgumentException("SpanId must be 16 lowercase hex digits, not all zero.", nameof(draft));
        }
    }

    /// <summary>Dotted lowercase segments of <c>[a-z0-9_-]</c>, e.g. <c>auth.login</c>.</summary>
    public static void ValidateAction(string? action)
    {
        RequireText(action, nameof(AuditEventDraft.Action));
        if (action!.Length > MaxActionLength || action[0] == '.' || action[^1] == '.' || action.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Action '{action}' is not a dotted lowercase name.", nameof(action));
        }

        foreach (var c in action)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.'))
            {
                throw new ArgumentException($"Action '{action}' is not a dotted lowercase name.", nameof(action));
            }
        }
    }

    /// <summary>
    /// Lone surrogates cannot be stored faithfully by every database (and would be replaced by U+FFFD when encoded),
    /// so a stored event could stop matching its hash. Reject them up front.
    /// </summary>
    public static void RequireValidUtf16(string? value, string name)
    {
        if (value is null || value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return;
        }

        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                throw new ArgumentException($"{name} contains invalid UTF-16 (a lone surrogate).", name);
            }
        }
    }

    public static bool IsW3CId(string value, int length)
    {
        if (value.Length != length)
        {
            return false;
        }

        var nonZero = false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            {
                return false;
            }

            nonZero |= c != '0';
        }

        return nonZero;
    }

    private static void RequireText(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"{name} is required.", name);
        }

        RequireValidUtf16(value, name);

        if (value.Length > MaxIdLength)
        {
            throw new ArgumentException($"{name} is longer than {MaxIdLength} characters.", name);
        }
    }
}
