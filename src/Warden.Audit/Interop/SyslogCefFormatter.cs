using System.Globalization;
using System.Text;
using Warden.Audit.Canonical;

namespace Warden.Audit.Interop;

/// <summary>
/// Formats an event as an RFC 5424 syslog line whose MSG is a CEF (ArcSight Common Event Format) record.
/// Pure function: sending it (UDP/TCP/TLS, octet counting) is the transport's job.
/// </summary>
/// <remarks>
/// Syslog severity: success → 6 (informational), failure/denied → 4 (warning), error → 3 (error).
/// CEF header escaping: <c>\</c> → <c>\\</c>, <c>|</c> → <c>\|</c>, line breaks → space. Extension value escaping:
/// <c>\</c> → <c>\\</c>, <c>=</c> → <c>\=</c>, CR → <c>\r</c>, LF → <c>\n</c>. Extension keys used:
/// <c>rt externalId act outcome suid suser duid cs1..cs6 (+Label) cn1 (+Label)</c>.
/// </remarks>
public static class SyslogCefFormatter
{
    /// <summary>The syslog line (no trailing newline) for <paramref name="auditEvent"/>.</summary>
    public static string Format(AuditEvent auditEvent, SyslogCefOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        options ??= new SyslogCefOptions();
        var e = auditEvent;
        var severity = e.Outcome switch
        {
            AuditOutcome.Success => 6,
            AuditOutcome.Error => 3,
            _ => 4,
        };
        var cefSeverity = e.Outcome switch
        {
            AuditOutcome.Success => 3,
            AuditOutcome.Failure => 5,
            AuditOutcome.Denied => 7,
            _ => 8,
        };

        var sb = new StringBuilder(512);
        sb.Append('<').Append((options.Facility * 8) + severity).Append(">1 ")
            .Append(e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ')
            .Append(HeaderField(options.HostName, 255)).Append(' ')
            .Append(HeaderField(options.AppName, 48)).Append(" - ")
            .Append(HeaderField(options.MessageId, 32)).Append(" - ");

        sb.Append("CEF:0|");
        AppendHeader(sb, "Warden");
        sb.Append('|');
        AppendHeader(sb, e.Source.Vendor == "warden" ? "Warden" : e.Source.Product);
        sb.Append('|');
        AppendHeader(sb, options.ProductVersion);
        sb.Append('|');
        AppendHeader(sb, e.Action);
        sb.Append('|');
        AppendHeader(sb, $"{e.Action} {AuditCanonicalJson.ToText(e.Outcome)}");
        sb.Append('|').Append(cefSeverity).Append('|');

        var first = true;
        void Ext(string key, string? value)
        {
            if (value is null)
            {
                return;
            }

            if (!first)
            {
                sb.Append(' ');
            }

            first = false;
            sb.Append(key).Append('=');
            AppendExtensionValue(sb, value);
        }

        Ext("rt", e.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Ext("externalId", e.Sequence.ToString(CultureInfo.InvariantCulture));
        Ext("act", e.Action);
        Ext("outcome", AuditCanonicalJson.ToText(e.Outcome));
        Ext("suid", e.Actor.Id);
        Ext("suser", e.Actor.Display);
        Ext("duid", e.OnBehalfOf);
        Ext("cs1Label", "org");
        Ext("cs1", e.OrgId);
        Ext("cs2Label", "actorKind");
        Ext("cs2", AuditCanonicalJson.ToText(e.Actor.Kind));
        if (e.Resource is { } resource)
        {
            Ext("cs3Label", "resource");
            Ext("cs3", $"{resource.Type}:{resource.Id}");
        }

        if (e.Policy is { } policy)
        {
            Ext("cs4Label", "policy");
            Ext("cs4", $"{(policy.Effect == PolicyEffect.Allow ? "allow" : "deny")} {policy.PolicySetVersion} {string.Join(',', policy.DeterminingPolicies)}".TrimEnd());
        }

        Ext("cs5Label", "hash");
        Ext("cs5", e.Hash.ToString());
        if (e.Source.SessionId is { } session)
        {
            Ext("cs6Label", "session");
            Ext("cs6", session);
        }

        if (e.Cost is { } cost)
        {
            Ext("cn1Label", "cost_" + cost.Unit);
            Ext("cn1", cost.Amount.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>CEF header field escaping: backslash and pipe escaped; line breaks are not allowed and become spaces.</summary>
    public static string EscapeHeader(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        AppendHeader(sb, value);
        return sb.ToString();
    }

    /// <summary>CEF extension value escaping: backslash, equals sign, CR and LF.</summary>
    public static string EscapeExtensionValue(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        AppendExtensionValue(sb, value);
        return sb.ToString();
    }

    private static void AppendHeader(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '|': sb.Append(@"\|"); break;
                case '\r' or '\n': sb.Append(' '); break;
                default: sb.Append(c); break;
            }
        }
    }

    private static void AppendExtensionValue(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '=': sb.Append(@"\="); break;
                case '\r': sb.Append(@"\r"); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }
    }

    /// <summary>RFC 5424 header fields are PRINTUSASCII (33–126) with a length limit; "-" is NILVALUE.</summary>
    private static string HeaderField(string value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }

        var sb = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (var c in value)
        {
            if (sb.Length == maxLength)
            {
                break;
            }

            sb.Append(c is >= '!' and <= '~' ? c : '_');
        }

        return sb.ToString();
    }
}
