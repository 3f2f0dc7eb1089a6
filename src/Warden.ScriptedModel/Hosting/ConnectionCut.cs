using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Warden.ScriptedModel.Hosting;

/// <summary>
/// Drops a connection part way through a response so that the client still receives what was already sent.
/// <see cref="HttpContext.Abort"/> alone makes Kestrel close the socket at once, and a reset that overtakes the
/// flushed bytes makes the client's kernel discard them; the client would see a refused request rather than a cut
/// stream. So the server half-closes (FIN after the data), waits for the client to notice and close, then aborts.
/// </summary>
internal static class ConnectionCut
{
    // Long enough for Kestrel's socket sender to hand the flushed bytes to the kernel, even on a loaded machine.
    private static readonly TimeSpan DrainDelay = TimeSpan.FromMilliseconds(500);

    // How long to wait for the client to close its side before aborting anyway.
    private static readonly TimeSpan ClientCloseWait = TimeSpan.FromSeconds(5);

    /// <summary>Cuts the connection after the bytes already flushed.</summary>
    public static async Task CutAsync(HttpContext context)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is not null)
        {
            try
            {
                // Real time on purpose: this waits for the transport, not for anything the script controls.
                await Task.Delay(DrainDelay, context.RequestAborted).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                await Task.Delay(ClientCloseWait, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client has closed (the usual way out of the wait) or the socket is already gone.
            }
        }

        context.Abort();
    }
}
