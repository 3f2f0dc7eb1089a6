using System.Diagnostics;
using System.Text.Json;
using Warden.Protocol;

namespace Warden.Worker.Runtime;

/// <summary>
/// The non-sandboxed development and test runtime: runs the <c>shell</c> tool as <c>/bin/sh -c</c> in the workspace
/// with a minimal environment, and nothing else. It gives NO isolation (the command sees the host's files, network
/// and processes), so it must never be chosen silently: the worker command requires <c>--insecure-no-sandbox</c> for it.
/// The workspace tools (read, write, edit, search, git) arrive with <c>Warden.Sandbox</c>.
/// </summary>
public sealed class ProcessSessionRuntime(SessionRuntimeContext context) : ISessionRuntime
{
    /// <summary>Output kept per call when the session sets no limit.</summary>
    public const int DefaultOutputBytes = 64 * 1024;

    /// <summary>Time a call may take when neither the call nor the session sets one.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private readonly CancellationTokenSource _disposed = new();

    /// <inheritdoc />
    public async Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        if (call.Tool != "shell")
        {
            return ToolResult.Failure($"The development runtime runs only the 'shell' tool, not '{call.Tool}'.");
        }

        if (call.Arguments.ValueKind != JsonValueKind.Object || !call.Arguments.TryGetProperty("command", out var commandElement) || commandElement.ValueKind != JsonValueKind.String)
        {
            return ToolResult.Failure("The shell tool needs a 'command' string argument.");
        }

        var timeout = call.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms)
            : context.Limits.ToolTimeoutMs is { } sessionMs ? TimeSpan.FromMilliseconds(sessionMs) : DefaultTimeout;
        return await RunShellAsync(commandElement.GetString()!, timeout, onOutput, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="command"/> with <c>/bin/sh -c</c> in the workspace.</summary>
    public async Task<ToolResult> RunShellAsync(string command, TimeSpan timeout, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = context.WorkspacePath,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        // Even without a sandbox, the worker's own environment (its join token, cloud credentials) stays out of the command.
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        info.Environment["HOME"] = context.WorkspacePath;
        info.Environment["LANG"] = "C.UTF-8";
        info.Environment["WARDEN_SESSION"] = context.SessionId;

        var output = new OutputBuffer(context.Limits.OutputBytes ?? DefaultOutputBytes);
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ToolResult.Failure("The shell could not be started: " + e.Message);
        }

        process.StandardInput.Close();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        deadline.CancelAfter(timeout);
        var stdout = PumpAsync(process.StandardOutput, "stdout", output, onOutput);
        var stderr = PumpAsync(process.StandardError, "stderr", output, onOutput);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested && !_disposed.IsCancellationRequested;
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        // A process the command left running in the background may hold the pipes open; do not wait for it forever.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
        var status = timedOut ? ToolStatus.TimedOut
            : deadline.IsCancellationRequested ? ToolStatus.Cancelled
            : process.ExitCode == 0 ? ToolStatus.Ok : ToolStatus.Failed;
        return new ToolResult
        {
            Status = status,
            Output = output.ToString(),
            Truncated = output.Truncated,
            ExitCode = status is ToolStatus.Ok or ToolStatus.Failed ? process.ExitCode : null,
            Error = timedOut ? $"The command took longer than {timeout.TotalSeconds:0.###} s and was stopped." : null,
            DurationMs = watch.ElapsedMilliseconds,
        };
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        // Stops whatever still runs; the process tree is killed by the call that owns it.
        _disposed.Cancel();
        _disposed.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task PumpAsync(StreamReader reader, string stream, OutputBuffer output, Func<ToolOutputChunk, ValueTask> onOutput)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            var text = new string(buffer, 0, read);
            output.Append(text);
            await onOutput(new ToolOutputChunk(stream, text)).ConfigureAwait(false);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
