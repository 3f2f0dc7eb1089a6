namespace Warden.Server.Audit;

/// <summary>
/// One audit export sink, bound from <c>Warden:AuditExporters:N</c> (environment <c>WARDEN__AUDITEXPORTERS__0__KIND</c>, ...).
/// The exporter pushes every ledger event, in sequence order, to each sink and remembers per <see cref="Name"/> how far
/// it got, so renaming a sink starts it again from the first event.
/// </summary>
public sealed record AuditExporterOptions
{
    /// <summary>Unique name; keys the persisted cursor.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary><c>file</c> (JSON lines), <c>syslog</c> (RFC 5424 with a CEF message) or <c>otlp</c> (OTLP/HTTP JSON logs).</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>file: the file to append to; rotated files get <c>.1</c>, <c>.2</c>, ... (1 is the newest).</summary>
    public string? Path { get; init; }

    /// <summary>file: rotate before the file would grow past this many bytes.</summary>
    public long MaxFileBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>file: rotated files kept besides the current one.</summary>
    public int MaxFiles { get; init; } = 10;

    /// <summary>syslog: the collector's host name or address.</summary>
    public string? Host { get; init; }

    /// <summary>syslog: the collector's port (514 for UDP/TCP, 6514 for TLS by convention).</summary>
    public int Port { get; init; } = 514;

    /// <summary>syslog: <c>udp</c> (RFC 5426, one message per datagram), <c>tcp</c> or <c>tls</c> (octet-counted frames, RFC 6587 / 5425).</summary>
    public string Protocol { get; init; } = "udp";

    /// <summary>
    /// syslog over TLS: a PEM file of the CA certificates the collector's certificate must chain to (an internal CA).
    /// Unset: the system's trust store. Either way the certificate must name <see cref="Host"/>.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>syslog over TLS: a PEM certificate Warden presents to collectors that require mutual TLS (RFC 5425 §5.1).</summary>
    public string? TlsClientCertificateFile { get; init; }

    /// <summary>syslog over TLS: the PEM private key of <see cref="TlsClientCertificateFile"/> (unencrypted; keep the file private).</summary>
    public string? TlsClientKeyFile { get; init; }

    /// <summary>otlp: the logs URL, e.g. <c>http://collector:4318/v1/logs</c>.</summary>
    public string? Endpoint { get; init; }

    /// <summary>otlp: extra request headers (e.g. an authorization header for the collector).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>otlp: the resource <c>service.name</c>.</summary>
    public string ServiceName { get; init; } = "warden";

    /// <summary>Most events sent at once; the cursor moves after each accepted batch.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Every problem with this sink's settings; <paramref name="where"/> names it in messages.</summary>
    public IEnumerable<string> Validate(string where)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return $"{where}: set a Name (it keys the export cursor).";
        }

        if (BatchSize is < 1 or > 10_000)
        {
            yield return $"{where}: BatchSize must be between 1 and 10000.";
        }

        switch (Kind.ToLowerInvariant())
        {
            case "file":
                if (string.IsNullOrWhiteSpace(Path))
                {
                    yield return $"{where}: a file sink needs a Path.";
                }

                if (MaxFileBytes < 4096)
                {
                    yield return $"{where}: MaxFileBytes must be at least 4096.";
                }

                if (MaxFiles is < 1 or > 1000)
                {
                    yield return $"{where}: MaxFiles must be between 1 and 1000.";
                }

                break;
            case "syslog":
                if (string.IsNullOrWhiteSpace(Host))
                {
                    yield return $"{where}: a syslog sink needs a Host.";
                }

                if (Port is < 1 or > 65535)
                {
                    yield return $"{where}: Port must be between 1 and 65535.";
                }

                if (Protocol.ToLowerInvariant() is not ("udp" or "tcp" or "tls"))
                {
                    yield return $"{where}: Protocol must be udp, tcp or tls.";
                }

                var tlsFiles = new[] { (nameof(TlsCaFile), TlsCaFile), (nameof(TlsClientCertificateFile), TlsClientCertificateFile), (nameof(TlsClientKeyFile), TlsClientKeyFile) };
                if (!Protocol.Equals("tls", StringComparison.OrdinalIgnoreCase) && tlsFiles.Any(f => f.Item2 is not null))
                {
                    yield return $"{where}: {string.Join(", ", tlsFiles.Where(f => f.Item2 is not null).Select(f => f.Item1))} apply only with Protocol tls.";
                }

                foreach (var (setting, file) in tlsFiles)
                {
                    if (file is not null && !File.Exists(file))
                    {
                        yield return $"{where}: {setting} '{file}' does not exist.";
                    }
                }

                if ((TlsClientCertificateFile is null) != (TlsClientKeyFile is null))
                {
                    yield return $"{where}: set both TlsClientCertificateFile and TlsClientKeyFile, or neither.";
                }

                break;
            case "otlp":
                if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    yield return $"{where}: an otlp sink needs an absolute http(s) Endpoint, e.g. http://collector:4318/v1/logs.";
                }

                break;
            default:
                yield return $"{where}: Kind '{Kind}' is not one of file, syslog, otlp.";
                break;
        }
    }
}
