using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Warden.Sandbox.Tests.Support;

/// <summary>
/// A TCP listener on the host's loopback (port 0) that answers any HTTP request with a fixed body and records the
/// request heads it received. Stands in for a host service the sandbox must not reach, or an allowed target.
/// </summary>
public sealed class HostListener : IAsyncDisposable
{
    public const string Body = "hello-from-the-host";
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    public HostListener()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public int Connections => Volatile.Read(ref _connections);

    public ConcurrentQueue<string> Heads { get; } = new();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[16384];
                    var filled = 0;
                    try
                    {
                        while (filled < buffer.Length)
                        {
                            var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                            if (read == 0)
                            {
                                return;
                            }

                            filled += read;
                            if (Encoding.Latin1.GetString(buffer, 0, filled).Contains("\r\n\r\n", StringComparison.Ordinal))
                            {
                                break;
                            }
                        }

                        Heads.Enqueue(Encoding.Latin1.GetString(buffer, 0, filled));
                        var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                    }
                    catch (Exception)
                    {
                        // Client went away.
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
            // Stopped.
        }

        _stop.Dispose();
    }
}
