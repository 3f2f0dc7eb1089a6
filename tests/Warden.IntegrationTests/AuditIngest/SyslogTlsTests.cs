using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Warden.Client.Contracts;
using Warden.Server.Audit;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>
/// Syslog over TLS (RFC 5425) against a real TLS collector on loopback: delivery with an internal CA, refusal of a
/// collector the configured trust does not vouch for (nothing acknowledged, the cursor stays), and mutual TLS.
/// </summary>
public sealed class SyslogTlsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("warden-syslog-tls-").FullName;
    private readonly TestPki _pki = new();

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Tls_WithTheInternalCa_DeliversEveryEventInOrder_OverTls12OrLater()
    {
        using var serverCertificate = _pki.Issue("localhost", serverAuth: true);
        await using var collector = TlsCollector.Start(serverCertificate, requireClientCertificate: null);
        await using var server = await TestServer.StartAsync("sqlite", o => o with
        {
            AuditExporters = [Sink(collector.Port, ca: _pki.WriteCa(_folder))],
        });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("platform"));

        await Eventually.HoldsAsync(() => collector.Messages.Any(m => m.Contains("act=team.create", StringComparison.Ordinal)), "team.create delivered over TLS");

        collector.Protocols.ShouldAllBe(p => p >= System.Security.Authentication.SslProtocols.Tls12);
        var messages = collector.Messages.ToList();
        messages.ShouldAllBe(m => m.StartsWith('<') && m.Contains("CEF:0|Warden|"));
        messages.Select(Sequence).ShouldBe(Enumerable.Range(1, messages.Count).Select(i => (long)i));
        (await AuditExportTests.CursorAsync(server.Db, "siem-tls")).ShouldBeGreaterThanOrEqualTo(messages.Count);
    }

    [Fact]
    public async Task Tls_RefusesACollectorFromAnotherCa_OrWithAnotherName_AndAcknowledgesNothing()
    {
        using var stranger = new TestPki();
        using var untrusted = stranger.Issue("localhost", serverAuth: true);
        using var wrongName = _pki.Issue("siem.other.example", serverAuth: true);
        await using var impostor = TlsCollector.Start(untrusted, requireClientCertificate: null);
        await using var misnamed = TlsCollector.Start(wrongName, requireClientCertificate: null);
        var ca = _pki.WriteCa(_folder);
        await using var server = await TestServer.StartAsync("sqlite", o => o with
        {
            AuditExporters = [Sink(impostor.Port, ca) with { Name = "impostor" }, Sink(misnamed.Port, ca) with { Name = "misnamed" }],
        });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("platform"));

        // The exporter keeps trying (a collector with the right certificate may come back) and never sends a byte of audit data.
        await Eventually.HoldsAsync(() => impostor.Connections >= 2 && misnamed.Connections >= 2, "the exporter tried both collectors more than once");

        impostor.Messages.ShouldBeEmpty();
        misnamed.Messages.ShouldBeEmpty();
        (await AuditExportTests.CursorAsync(server.Db, "impostor")).ShouldBe(0);
        (await AuditExportTests.CursorAsync(server.Db, "misnamed")).ShouldBe(0);
    }

    [Fact]
    public async Task MutualTls_PresentsTheConfiguredClientCertificate_AndWithoutOneTheCollectorRefuses()
    {
        using var serverCertificate = _pki.Issue("localhost", serverAuth: true);
        using var clientCertificate = _pki.Issue("warden-audit-exporter", serverAuth: false);
        await using var collector = TlsCollector.Start(serverCertificate, requireClientCertificate: _pki.Root);
        var ca = _pki.WriteCa(_folder);
        var certificateFile = Path.Combine(_folder, "client.pem");
        var keyFile = Path.Combine(_folder, "client.key");
        await File.WriteAllTextAsync(certificateFile, clientCertificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, clientCertificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await using var server = await TestServer.StartAsync("sqlite", o => o with
        {
            AuditExporters =
            [
                Sink(collector.Port, ca) with { Name = "anonymous" },
                Sink(collector.Port, ca) with { Name = "mutual", TlsClientCertificateFile = certificateFile, TlsClientKeyFile = keyFile },
            ],
        });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("platform"));

        await Eventually.HoldsAsync(() => collector.Messages.Any(m => m.Contains("act=team.create", StringComparison.Ordinal)), "delivered over mutual TLS");
        await Eventually.HoldsAsync(() => collector.FailedHandshakes >= 2, "the sink without a client certificate was refused");

        collector.ClientSubjects.Distinct().ShouldBe(["CN=warden-audit-exporter"]);
        (await AuditExportTests.CursorAsync(server.Db, "anonymous")).ShouldBe(0);
        (await AuditExportTests.CursorAsync(server.Db, "mutual")).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Options_RejectTlsFilesThatDoNotExist_OrDoNotApply_OrComeHalfAPair()
    {
        var ca = _pki.WriteCa(_folder);
        var missing = Path.Combine(_folder, "nope.pem");

        var onTcp = new AuditExporterOptions { Name = "s", Kind = "syslog", Host = "h", Protocol = "tcp", TlsCaFile = ca }.Validate("s").ToList();
        var absent = new AuditExporterOptions { Name = "s", Kind = "syslog", Host = "h", Protocol = "tls", TlsCaFile = missing }.Validate("s").ToList();
        var half = new AuditExporterOptions { Name = "s", Kind = "syslog", Host = "h", Protocol = "tls", TlsClientCertificateFile = ca }.Validate("s").ToList();
        var fine = new AuditExporterOptions { Name = "s", Kind = "syslog", Host = "h", Protocol = "TLS", TlsCaFile = ca }.Validate("s").ToList();

        onTcp.ShouldHaveSingleItem().ShouldContain("apply only with Protocol tls");
        absent.ShouldHaveSingleItem().ShouldContain("does not exist");
        half.ShouldHaveSingleItem().ShouldContain("set both");
        fine.ShouldBeEmpty();
    }

    private static AuditExporterOptions Sink(int port, string ca) =>
        new() { Name = "siem-tls", Kind = "syslog", Host = "localhost", Port = port, Protocol = "tls", TlsCaFile = ca, BatchSize = 2 };

    private static long Sequence(string message) =>
        long.Parse(message.Split("externalId=")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A throwaway CA issuing P-256 certificates.</summary>
    private sealed class TestPki : IDisposable
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public TestPki()
        {
            var request = new CertificateRequest("CN=Warden Test CA " + Guid.NewGuid().ToString("N")[..6], _key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }

        public X509Certificate2 Root { get; }

        public X509Certificate2 Issue(string name, bool serverAuth)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (serverAuth)
            {
                var names = new SubjectAlternativeNameBuilder();
                names.AddDnsName(name);
                request.CertificateExtensions.Add(names.Build());
            }

            using var issued = request.Create(Root, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(8));
            using var withKey = issued.CopyWithPrivateKey(key);
            // Through PKCS#12 so the key is usable by the TLS stack on every platform.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }

        public string WriteCa(string folder)
        {
            var path = Path.Combine(folder, "ca-" + Root.Thumbprint[..8] + ".pem");
            File.WriteAllText(path, Root.ExportCertificatePem());
            return path;
        }

        public void Dispose()
        {
            Root.Dispose();
            _key.Dispose();
        }
    }

    /// <summary>
    /// A syslog collector on loopback speaking RFC 5425: TLS, then octet-counted frames. Optionally requires a client
    /// certificate issued by <c>requireClientCertificate</c>. Counts handshakes it (or the client) aborted.
    /// </summary>
    private sealed class TlsCollector : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly X509Certificate2 _certificate;
        private readonly X509Certificate2? _clientCa;
        private readonly Task _accepting;
        private int _failedHandshakes;
        private int _connections;

        private TlsCollector(X509Certificate2 certificate, X509Certificate2? clientCa)
        {
            _certificate = certificate;
            _clientCa = clientCa;
            _listener.Start();
            _accepting = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public System.Collections.Concurrent.ConcurrentQueue<string> Messages { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<System.Security.Authentication.SslProtocols> Protocols { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> ClientSubjects { get; } = new();

        public int FailedHandshakes => Volatile.Read(ref _failedHandshakes);

        /// <summary>Connections accepted (TLS 1.3 lets the server finish its side of a handshake the client then refuses).</summary>
        public int Connections => Volatile.Read(ref _connections);

        public static TlsCollector Start(X509Certificate2 certificate, X509Certificate2? requireClientCertificate) => new(certificate, requireClientCertificate);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = _clientCa is not null,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => _clientCa is null || IssuedByClientCa(certificate),
                }, _stop.Token);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failedHandshakes);
                return;
            }

            Protocols.Enqueue(tls.SslProtocol);
            if (tls.RemoteCertificate is { } remote)
            {
                ClientSubjects.Enqueue(remote.Subject);
            }

            try
            {
                while (true)
                {
                    Messages.Enqueue(await AuditExportTests.ReadFrameAsync(tls, _stop.Token));
                }
            }
            catch (Exception)
            {
                // The exporter closed the connection or the collector stops.
            }
        }

        private bool IssuedByClientCa(X509Certificate? certificate)
        {
            if (certificate is null)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_clientCa!);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(presented);
        }
    }
}
