using System.Collections.Concurrent;
using System.Diagnostics;

namespace Warden.Sandbox.Internal;

/// <summary>
/// Starts every sandbox process from one dedicated thread that lives as long as the worker.
/// </summary>
/// <remarks>
/// bubblewrap's <c>--die-with-parent</c> uses PR_SET_PDEATHSIG, which fires when the <em>thread</em> that forked the
/// process exits, not the process. A thread-pool thread that retires after being idle would therefore kill every
/// sandbox it had started. Forking from a thread that never exits keeps "the sandbox dies with the worker" without
/// that accident.
/// </remarks>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<(ProcessStartInfo StartInfo, TaskCompletionSource<Process> Done)> Queue = [];
    private static readonly Lazy<Thread> SpawnThread = new(StartThread, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts a process on the spawner thread.</summary>
    public static Task<Process> StartAsync(ProcessStartInfo startInfo)
    {
        _ = SpawnThread.Value;
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((startInfo, done));
        return done.Task;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "warden-sandbox-spawner" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        foreach (var (startInfo, done) in Queue.GetConsumingEnumerable())
        {
            try
            {
                var process = new Process { StartInfo = startInfo };
                process.Start();
                done.SetResult(process);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }
}
