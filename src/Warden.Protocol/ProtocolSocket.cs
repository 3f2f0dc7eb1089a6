using System.Buffers;
using System.Net.WebSockets;

namespace Warden.Protocol;

/// <summary>
/// One side of a protocol connection over a WebSocket: whole messages in, whole messages out. Sends are serialised
/// (a WebSocket allows one send at a time); receiving is for one reader loop. Both sides of the protocol use it.
/// </summary>
public sealed class ProtocolSocket(WebSocket socket) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    // Small to start with: a server holds thousands of idle connections, and most messages are a few hundred bytes.
    private readonly ArrayBufferWriter<byte> _receiveBuffer = new(512);

    /// <summary>The underlying socket.</summary>
    public WebSocket Socket => socket;

    /// <summary>True while the socket can send.</summary>
    public bool IsOpen => socket.State == WebSocketState.Open;

    /// <summary>Sends one message; false when the socket is closed or broke meanwhile (the caller treats it as a disconnect).</summary>
    public async Task<bool> SendAsync(ProtocolMessage message, CancellationToken cancellationToken = default)
    {
        var bytes = ProtocolCodec.Serialize(message);
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        try
        {
            if (socket.State != WebSocketState.Open)
            {
                return false;
            }

            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Receives the next message; null when the peer closed the connection. Throws <see cref="ProtocolException"/> for a
    /// frame that is not a message (the connection can go on) and <see cref="WebSocketException"/> when it broke.
    /// </summary>
    public async Task<ProtocolMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        _receiveBuffer.ResetWrittenCount();
        while (true)
        {
            var memory = _receiveBuffer.GetMemory(512);
            var result = await socket.ReceiveAsync(memory, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _receiveBuffer.Advance(result.Count);
            if (_receiveBuffer.WrittenCount > ProtocolCodec.MaxFrameBytes)
            {
                throw new WebSocketException(WebSocketError.Faulted, $"A message exceeded {ProtocolCodec.MaxFrameBytes} bytes.");
            }

            if (result.EndOfMessage)
            {
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    throw new ProtocolException("Binary frames are not part of the protocol.");
                }

                return ProtocolCodec.Read(_receiveBuffer.WrittenSpan);
            }
        }
    }

    /// <summary>Closes the connection politely, waiting at most <paramref name="timeout"/> for the peer.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string description, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, description, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            socket.Abort();
        }
    }

    /// <summary>Drops the connection at once, as a network failure would.</summary>
    public void Abort() => socket.Abort();

    /// <inheritdoc />
    public void Dispose()
    {
        // The send lock is not disposed: a send racing with disposal must find it usable and the socket closed.
        socket.Dispose();
    }
}
