using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Protocol;
using Warden.Worker.Workspaces;

namespace Warden.Worker.Sessions;

/// <summary>
/// Runs the reserved tool calls (<see cref="WorkerOperations"/>) in the worker process, never in the session's
/// runtime: <c>warden.publish</c> and <c>warden.diff</c> through <see cref="WorkspacePublisher"/>, anything else under
/// the reserved prefix refused. Expected failures are results: bad arguments are <see cref="ToolStatus.Error"/>, a git
/// step that failed (a rejected push, say) is <see cref="ToolStatus.Failed"/> with git's message, credential masked.
/// </summary>
internal sealed partial class WorkerOperationRunner(WorkspacePublisher publisher, ILogger? logger = null)
{
    /// <summary>How long an operation may take when the call sets no timeout (a push of a large change can be slow).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Runs <paramref name="call"/>, whose tool is reserved, on <paramref name="session"/>'s workspace.</summary>
    public async Task<ToolResult> ExecuteAsync(WorkerSession session, ToolCall call, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (session.Target is not { } target)
        {
            return ToolResult.Failure("The session's workspace is not ready.") with { DurationMs = watch.ElapsedMilliseconds };
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(call.TimeoutMs is > 0 and var ms ? TimeSpan.FromMilliseconds(ms) : DefaultTimeout);
        try
        {
            await session.Operations.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                var result = call.Tool switch
                {
                    WorkerOperations.Publish => await PublishAsync(target, call, timeout.Token).ConfigureAwait(false),
                    WorkerOperations.Diff => await DiffAsync(target, call, timeout.Token).ConfigureAwait(false),
                    _ => ToolResult.Failure($"'{call.Tool}' is a reserved name but not an operation of this worker. Operations: {WorkerOperations.Publish}, {WorkerOperations.Diff}."),
                };
                return result with { DurationMs = watch.ElapsedMilliseconds };
            }
            finally
            {
                session.Operations.Release();
            }
        }
        catch (JsonException e)
        {
            return ToolResult.Failure($"The arguments of '{call.Tool}' are not valid: {e.Message}") with { DurationMs = watch.ElapsedMilliseconds };
        }
        catch (ArgumentException e)
        {
            return ToolResult.Failure(e.Message) with { DurationMs = watch.ElapsedMilliseconds };
        }
        catch (WorkspaceException e)
        {
            LogOperationFailed(_logger, session.Id, call.Tool, e.Message);
            return ToolResult.Failure(e.Message, ToolStatus.Failed) with { DurationMs = watch.ElapsedMilliseconds };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ToolResult.Failure($"'{call.Tool}' took longer than its timeout and was stopped.", ToolStatus.TimedOut) with { DurationMs = watch.ElapsedMilliseconds };
        }
    }

    private async Task<ToolResult> PublishAsync(PublishTarget target, ToolCall call, CancellationToken cancellationToken)
    {
        var request = Arguments(call, WorkerOperationsJsonContext.Default.PublishRequest);
        var result = await publisher.PublishAsync(target, request, cancellationToken).ConfigureAwait(false);
        var summary = !result.Pushed ? "Nothing to commit: the workspace is at its base commit."
            : $"{(result.Committed ? "Committed and pushed" : "Nothing new to commit; pushed")} {result.Commit} to {result.Branch} ({result.FilesChanged} file(s) changed, +{result.Insertions} -{result.Deletions}).";
        return new ToolResult
        {
            Status = ToolStatus.Ok,
            Result = JsonSerializer.SerializeToElement(result, WorkerOperationsJsonContext.Default.PublishResult),
            Output = summary,
        };
    }

    private async Task<ToolResult> DiffAsync(PublishTarget target, ToolCall call, CancellationToken cancellationToken)
    {
        var request = Arguments(call, WorkerOperationsJsonContext.Default.DiffRequest);
        if (request.MaxBytes is < 1 or > DiffRequest.MaxBytesLimit)
        {
            throw new ArgumentException($"max_bytes must be between 1 and {DiffRequest.MaxBytesLimit}.");
        }

        var result = await publisher.DiffAsync(target, request.MaxBytes ?? DiffRequest.MaxBytesLimit, cancellationToken).ConfigureAwait(false);
        return new ToolResult
        {
            Status = ToolStatus.Ok,
            Result = JsonSerializer.SerializeToElement(result, WorkerOperationsJsonContext.Default.DiffResult),
            Output = result.Stat,
        };
    }

    private static T Arguments<T>(ToolCall call, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (call.Arguments.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return JsonSerializer.Deserialize("{}", type) ?? throw new ArgumentException($"'{call.Tool}' needs a JSON object of arguments.");
        }

        if (call.Arguments.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"The arguments of '{call.Tool}' must be a JSON object.");
        }

        return call.Arguments.Deserialize(type) ?? throw new ArgumentException($"'{call.Tool}' needs a JSON object of arguments.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: {Operation} failed: {Reason}")]
    private static partial void LogOperationFailed(ILogger logger, string sessionId, string operation, string reason);
}
