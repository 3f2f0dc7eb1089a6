namespace Warden.Audit.Interop;

/// <summary>Header values for <see cref="SyslogCefFormatter"/>.</summary>
public sealed record SyslogCefOptions
{
    /// <summary>RFC 5424 HOSTNAME (printable ASCII, no spaces, ≤ 255); "-" when unknown.</summary>
    public string HostName { get; init; } = "-";

    /// <summary>RFC 5424 APP-NAME (≤ 48).</summary>
    public string AppName { get; init; } = "warden";

    /// <summary>RFC 5424 MSGID (≤ 32).</summary>
    public string MessageId { get; init; } = "audit";

    /// <summary>Syslog facility; 13 is "log audit".</summary>
    public int Facility { get; init; } = 13;

    /// <summary>CEF Device Version.</summary>
    public string ProductVersion { get; init; } = "1.0";
}
