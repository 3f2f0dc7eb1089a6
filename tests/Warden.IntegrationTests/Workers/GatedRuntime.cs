using Warden.Protocol;
using Warden.Worker.Runtime;

namespace Warden.IntegrationTests.Workers;

/// <summary>The process runtime behind a gate: a call signals that it reached the worker, then waits for the test to let it run.</summary>
internal sealed class GatedRuntime : ISessionRuntimeFactory
{
    private readonly ProcessSessionRuntimeFactory _inner = new();

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Executions;

    public string Name => "gated process";

    public bool IsSandboxed => false;

    public async ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken) =>
        new Runtime(this, await _inner.CreateAsync(context, cancellationToken));

    private sealed class Runtime(GatedRuntime owner, ISessionRuntime inner) : ISessionRuntime
    {
        public async Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner.Executions);
            owner.Started.TrySetResult();
            await owner.Gate.Task.WaitAsync(cancellationToken);
            return await inner.ExecuteAsync(call, onOutput, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
