using System.Runtime.ExceptionServices;
using System.Text;

namespace Warden.Sandbox.Internal;

/// <summary>
/// Reads a command's output streams, keeps head and tail, and passes decoded chunks to the caller's callback one at a
/// time. When the callback throws, the command is stopped (a command nobody reads would block on a full pipe) and the
/// callback's exception is rethrown by <see cref="ThrowIfCallbackFailed"/>.
/// </summary>
internal sealed class OutputSink(Func<OutputChunk, ValueTask>? onOutput, CancellationTokenSource stop)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private ExceptionDispatchInfo? _failure;

    public async Task PumpAsync(Stream stream, OutputStreamKind kind, OutputCapture capture)
    {
        var buffer = new byte[16 * 1024];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false);
            var flush = read == 0;
            capture.Append(buffer.AsSpan(0, read));
            if (onOutput is not null && Volatile.Read(ref _failure) is null)
            {
                var count = decoder.GetChars(buffer, 0, read, chars, 0, flush);
                if (count > 0)
                {
                    await _lock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                    try
                    {
                        await onOutput(new OutputChunk(kind, new string(chars, 0, count))).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                        try
                        {
                            await stop.CancelAsync().ConfigureAwait(false);
                        }
                        catch (ObjectDisposedException)
                        {
                            // The command is over already.
                        }
                    }
                    finally
                    {
                        _lock.Release();
                    }
                }
            }

            if (flush)
            {
                return;
            }
        }
    }

    public void ThrowIfCallbackFailed() => Volatile.Read(ref _failure)?.Throw();
}
