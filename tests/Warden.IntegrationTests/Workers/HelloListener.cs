using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Warden.IntegrationTests.Workers;

/// <summary>
/// A listener on the host's loopback, outside any sandbox, that answers every HTTP request with
/// <see cref="Body"/>: what egress tests try to reach from inside a sandbox.
/// </summary>
internal sealed class HelloListener : IDisposable
{
    public const string Body = "hello from the host";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public HelloListener()
    {
        _listener.Start();
        _ = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose() => _listener.Stop();

    private async Task ServeAsync()
    {
        while (true)
        {
            TcpClient connection;
            try
            {
                connection = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException)
            {
                return;
            }

            using (connection)
            {
                var stream = connection.GetStream();
                var buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}"));
            }
        }
    }
}
