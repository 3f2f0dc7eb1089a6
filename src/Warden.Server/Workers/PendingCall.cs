using Warden.Protocol;

namespace Warden.Server.Workers;

/// <summary>A tool call sent (or to be sent again) to a worker, waiting for its result.</summary>
internal sealed class PendingCall(ToolCallMessage message, Func<ToolOutputChunk, ValueTask> onOutput)
{
    public ToolCallMessage Message { get; } = message;

    public Func<ToolOutputChunk, ValueTask> OnOutput { get; } = onOutput;

    public TaskCompletionSource<ToolResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
