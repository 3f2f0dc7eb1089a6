using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Warden.Protocol;
using Warden.Sandbox;
using Warden.Worker.Runtime;
using Warden.Worker.Workspaces;

namespace Warden.Benchmarks;

/// <summary>
/// Sandbox and workspace ready time (part of the <c>workers</c> subcommand): what a session waits for between its
/// assignment and its first tool call, on a generated repository of N small files in nested folders (one commit, a
/// packed bare repository reached by a <c>file://</c> URL). With the worker's own <see cref="WorkspacePreparer"/>:
/// cold preparation (empty mirror cache), warm preparation (the mirror is only fetched into), the session's bubblewrap
/// runtime (<see cref="SandboxSessionRuntimeFactory"/>, egress proxy included, as <c>WorkerHost</c> makes it) with its
/// first command (<c>shell true</c>), and the whole warm path in one go; then the same with a spare workspace (the
/// preparer's claim path: a checkout made ahead from the mirror, renamed into place, fetched into and checked out on the
/// session branch), also after the origin moved on by a commit of 100 files. Baselines in the same run: a plain
/// <c>git clone</c> of the same repository (no mirror), writing the same files without git (the file system's floor
/// for any checkout), and <c>true</c> started directly with <see cref="Process"/>. <c>--dir</c> chooses the file
/// system (the worker's data folder; default the temporary folder), <c>--git</c> the git executable (a wrapper that
/// logs each command's time profiles the steps).
/// </summary>
public static class WorkspaceBenchmark
{
    /// <summary>The goal of issue 6: sandbox and workspace ready from a warm cache.</summary>
    private const double GoalMs = 300;

    private static readonly JsonElement TrueCommand = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["command"] = "true" });

    public static async Task RunAsync(int files, int runs, int coldRuns, string? parent, string git)
    {
        var root = parent is null
            ? Directory.CreateTempSubdirectory("warden-bench-workspace-").FullName
            : Directory.CreateDirectory(Path.Combine(parent, "warden-bench-workspace-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            var bare = Path.Combine(root, "origin", "repo.git");
            var generate = Stopwatch.StartNew();
            var (folders, bytes, paths, texts) = await GenerateRepositoryAsync(bare, files);
            var url = new Uri(bare).AbsoluteUri;
            Console.WriteLine($"folder: {root} ({FileSystem(root)})");
            Console.WriteLine($"repository: {files:N0} files in {folders:N0} folders, {bytes / 1024.0 / 1024.0:0.0} MiB of text, one commit; " +
                $"packed {PackBytes(bare) / 1024.0 / 1024.0:0.0} MiB; generated in {generate.Elapsed.TotalSeconds:0.0} s; {runs} runs each, {coldRuns} cold");
            Console.WriteLine();

            // Baselines.
            await RunTrueAsync();
            var trueDirect = await MeasureAsync(runs, _ => RunTrueAsync(), null);
            var scratch = Path.Combine(root, "plain");
            var writeFiles = await MeasureAsync(runs, i => WriteFilesAsync(Path.Combine(scratch, $"w{i}"), paths, texts), Then(i => DeleteTree(Path.Combine(scratch, $"w{i}"))));
            var plainClone = await MeasureAsync(runs, i => GitAsync(null, "clone", "--quiet", "--", url, Path.Combine(scratch, $"u{i}")), Then(i => DeleteTree(Path.Combine(scratch, $"u{i}"))));
            var localClone = await MeasureAsync(runs, i => GitAsync(null, "clone", "--quiet", "--", bare, Path.Combine(scratch, $"l{i}")), Then(i => DeleteTree(Path.Combine(scratch, $"l{i}"))));

            // (1) Cold: a fresh worker data folder each time, so the mirror is cloned first.
            var cold = await MeasureAsync(coldRuns, async i =>
            {
                var workspace = await new WorkspacePreparer(Path.Combine(root, $"cold{i}"), git).PrepareAsync("cold", url, null, null, CancellationToken.None);
                Require(!workspace.FromMirror, "a cold preparation found a mirror");
            }, Then(i => DeleteTree(Path.Combine(root, $"cold{i}"))));

            // (2) Warm: one worker, its mirror made by a first session; each session's workspace released after it.
            var preparer = new WorkspacePreparer(Path.Combine(root, "worker"), git);
            await preparer.PrepareAsync("first", url, null, null, CancellationToken.None);
            preparer.Release("first");
            var release = new List<double>();
            var warm = await MeasureAsync(runs, async i =>
            {
                var workspace = await preparer.PrepareAsync($"warm{i}", url, null, null, CancellationToken.None);
                Require(workspace.FromMirror && File.Exists(Path.Combine(workspace.Path, "README.md")), "a warm preparation did not come from the mirror");
            }, Then(i => release.Add(Timed(() => preparer.Release($"warm{i}")))));

            // (3) Sandbox ready: the session's runtime as WorkerHost makes it, and its first command.
            var (factory, sandboxNote) = CreateSandboxFactory(Path.Combine(root, "sandbox-state"));
            var egress = new DenyingEgressChannel();
            var sandboxWorkspace = await preparer.PrepareAsync("sandbox", url, null, null, CancellationToken.None);
            await using (var warmUp = await factory.CreateAsync(new SessionRuntimeContext("sbxwarmup", sandboxWorkspace.Path, new SessionLimits(), egress), CancellationToken.None))
            {
                await RunFirstCommandAsync(warmUp, -1);
            }

            var create = new List<double>();
            var firstCommand = new List<double>();
            ISessionRuntime? runtime = null;
            var sandbox = await MeasureAsync(runs, async i =>
            {
                var start = Stopwatch.GetTimestamp();
                runtime = await factory.CreateAsync(new SessionRuntimeContext($"sbx{i}", sandboxWorkspace.Path, new SessionLimits(), egress), CancellationToken.None);
                create.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                start = Stopwatch.GetTimestamp();
                await RunFirstCommandAsync(runtime, i);
                firstCommand.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }, async _ => await runtime!.DisposeAsync());
            preparer.Release("sandbox");

            // (4) The whole warm path: workspace from the mirror, sandbox, first command.
            var total = await MeasureAsync(runs, async i =>
            {
                var workspace = await preparer.PrepareAsync($"total{i}", url, null, null, CancellationToken.None);
                runtime = await factory.CreateAsync(new SessionRuntimeContext($"total{i}", workspace.Path, new SessionLimits(), egress), CancellationToken.None);
                await RunFirstCommandAsync(runtime, i);
            }, async i =>
            {
                await runtime!.DisposeAsync();
                preparer.Release($"total{i}");
            });

            // (5) With spares: the worker's own claim path (WorkspacePreparer with one spare repository). Before each
            // timed run the spare is waited for, untimed: it is built in the background after the previous session was
            // prepared, off the session's path; how long that build takes is its own row.
            var spared = new WorkspacePreparer(Path.Combine(root, "worker-spare"), git, spareRepositories: 1);
            await using (spared)
            {
                await spared.PrepareAsync("first", url, null, null, CancellationToken.None);
                spared.Release("first");
                Require(await spared.PrepareSpareAsync(url), "the first spare could not be built");
                var build = new List<double>();
                var claim = await MeasureAsync(runs, async i =>
                {
                    var workspace = await spared.PrepareAsync($"claim{i}", url, null, null, CancellationToken.None);
                    Require(workspace.FromSpare && File.Exists(Path.Combine(workspace.Path, "README.md")), "a preparation with a ready spare did not claim it");
                }, async i =>
                {
                    // The next spare's build started when the claim returned; the wait is its duration.
                    build.Add(await TimedAsync(async () => Require(await spared.PrepareSpareAsync(url), "a spare could not be built")));
                    spared.Release($"claim{i}");
                });

                // (5b) The origin moved on since the spare was built: a commit changing 100 files, fetched by the
                // mirror and then by the claim, whose checkout rewrites those files.
                var changedRuns = Math.Max(1, runs / 2);
                var changed = await MeasureAsync(changedRuns, async i =>
                {
                    var workspace = await spared.PrepareAsync($"changed{i}", url, null, null, CancellationToken.None);
                    Require(workspace.FromSpare && File.ReadAllText(Path.Combine(workspace.Path, paths[1])).EndsWith($"changed {i}\n", StringComparison.Ordinal),
                        "a claim after a new commit did not check it out");
                }, async i =>
                {
                    Require(await spared.PrepareSpareAsync(url), "a spare could not be built");
                    spared.Release($"changed{i}");
                }, before: i => CommitChangesAsync(bare, paths, texts, 100, i));

                // (6) The whole warm path with a spare: claim, sandbox, first command.
                var totalSpare = await MeasureAsync(runs, async i =>
                {
                    var workspace = await spared.PrepareAsync($"stotal{i}", url, null, null, CancellationToken.None);
                    Require(workspace.FromSpare, "a preparation with a ready spare did not claim it");
                    runtime = await factory.CreateAsync(new SessionRuntimeContext($"stotal{i}", workspace.Path, new SessionLimits(), egress), CancellationToken.None);
                    await RunFirstCommandAsync(runtime, i);
                }, async i =>
                {
                    await runtime!.DisposeAsync();
                    Require(await spared.PrepareSpareAsync(url), "a spare could not be built");
                    spared.Release($"stotal{i}");
                });

                Print(files, coldRuns, trueDirect, writeFiles, plainClone, localClone, cold, warm, release, sandbox, create, firstCommand, total,
                    claim, Stats(build), changed, changedRuns, totalSpare, sandboxNote);
            }
        }
        finally
        {
            DeleteTree(root);
        }
    }

    private static void Print(int files, int coldRuns, Figures trueDirect, Figures writeFiles, Figures plainClone, Figures localClone, Figures cold, Figures warm,
        List<double> release, Figures sandbox, List<double> create, List<double> firstCommand, Figures total, Figures claim, Figures build, Figures changed,
        int changedRuns, Figures totalSpare, string sandboxNote)
    {
        Console.WriteLine($"| {files:N0}-file repository | p50 ms | p99 ms | min ms | mean ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine(Row("`true` started directly with Process (baseline)", trueDirect));
        Console.WriteLine(Row($"writing the {files:N0} files directly, no git (floor of any checkout)", writeFiles));
        Console.WriteLine(Row("plain `git clone` file:// URL, no mirror (baseline)", plainClone));
        Console.WriteLine(Row("plain `git clone` local path, hard links (baseline)", localClone));
        Console.WriteLine(Row($"(1) cold preparation, empty mirror cache ({coldRuns} runs)", cold));
        Console.WriteLine(Row("(2) warm preparation from the mirror cache", warm));
        Console.WriteLine(Row("    releasing the workspace afterwards (not in the total)", Stats(release)));
        Console.WriteLine(Row("(3) sandbox ready: runtime created + first `true`", sandbox));
        Console.WriteLine(Row("    of which: runtime created (cgroup, egress proxy)", Stats(create)));
        Console.WriteLine(Row("    of which: first `shell true` in the sandbox", Stats(firstCommand)));
        Console.WriteLine(Row("(4) total ready from a warm cache: (2) + (3)", total));
        Console.WriteLine(Row("(5) warm preparation claiming a spare workspace (mirror fetch + rename + fetch + checkout -B)", claim));
        Console.WriteLine(Row("    building the next spare in the background (off the path, not in any total)", build));
        Console.WriteLine(Row($"(5b) claiming a spare after a commit changed 100 files in the origin ({changedRuns} runs)", changed));
        Console.WriteLine(Row("(6) total ready from a warm cache with a spare: (5) + (3)", totalSpare));
        Console.WriteLine();
        Console.WriteLine($"sandbox: {sandboxNote}");
        Console.WriteLine($"ratios: warm preparation / plain clone p50 {warm.P50 / plainClone.P50:0.00}, p99 {warm.P99 / plainClone.P99:0.00}; " +
            $"cold / plain clone p50 {cold.P50 / plainClone.P50:0.00}; spare claim / warm preparation without spare p50 {claim.P50 / warm.P50:0.000}; " +
            $"first command in the sandbox / `true` directly p50 {Stats(firstCommand).P50 / trueDirect.P50:0.0}, sandbox ready / `true` directly p50 {sandbox.P50 / trueDirect.P50:0.0}");
        Console.WriteLine($"goal (total ready from a warm cache ≤ {GoalMs:0} ms): with a spare p50 {totalSpare.P50:0.0} ms, p99 {totalSpare.P99:0.0} ms: {Verdict(totalSpare)}; " +
            $"without a spare (first session of a repository, or two at once) p50 {total.P50:0.0} ms, p99 {total.P99:0.0} ms: {Verdict(total)}");
    }

    private static string Verdict(Figures f) => f.P99 <= GoalMs ? "met" : f.P50 <= GoalMs ? "met at the median, not at p99" : "NOT met";

    /// <summary>
    /// Adds a commit on <c>main</c> of <paramref name="bare"/> that rewrites <paramref name="count"/> files spread over
    /// the tree (each gets a line <c>changed N</c> appended), as another developer's push would.
    /// </summary>
    private static async Task CommitChangesAsync(string bare, string[] paths, string[] texts, int count, int round)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "--git-dir", bare, "fast-import", "--quiet", "--done" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var input = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        var message = $"Change {round}";
        await input.WriteAsync($"commit refs/heads/main\ncommitter Bench <bench@warden.invalid> {1700000000 + round + 1} +0000\ndata {message.Length}\n{message}\nfrom refs/heads/main^0\n");
        var step = Math.Max(1, (paths.Length - 1) / count);
        for (var k = 0; k < count && 1 + k * step < paths.Length; k++)
        {
            var i = 1 + k * step;
            var text = texts[i] + $"changed {round}\n";
            await input.WriteAsync($"M 100644 inline {paths[i]}\ndata {Encoding.UTF8.GetByteCount(text)}\n{text}\n");
        }

        await input.WriteAsync("\ndone\n");
        await input.FlushAsync();
        input.Close();
        await process.WaitForExitAsync();
        Require(process.ExitCode == 0, "git fast-import (a change) failed");
    }

    /// <summary>
    /// A repository like a mid-sized code base: <paramref name="files"/> text files of 80 B to about 8 KB (median
    /// about 1 KB) spread over nested folders (up to five deep, a few dozen files each), one commit on <c>main</c>,
    /// written with <c>git fast-import</c> into a bare repository and repacked as a server would hold it.
    /// </summary>
    private static async Task<(int Folders, long Bytes, string[] Paths, string[] Texts)> GenerateRepositoryAsync(string bare, int files)
    {
        Directory.CreateDirectory(bare);
        await GitAsync(null, "init", "--quiet", "--bare", "--initial-branch=main", bare);
        var random = new Random(6);
        string[] words =
        [
            "session", "worker", "policy", "value", "result", "request", "context", "options", "buffer", "index", "token",
            "stream", "reader", "writer", "config", "handler", "client", "server", "entry", "record", "event", "state",
            "return", "if", "else", "for", "while", "var", "new", "await", "async", "public", "private", "static", "null",
        ];
        string[] tops = ["src", "tests", "docs", "tools", "web"];
        string[] extensions = [".cs", ".cs", ".cs", ".ts", ".md", ".json", ".txt"];
        var folders = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        var info = new ProcessStartInfo("git") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "--git-dir", bare, "fast-import", "--quiet", "--done" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var input = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        var paths = new string[files];
        var texts = new string[files];
        var text = new StringBuilder();
        for (var i = 0; i < files; i++)
        {
            // 25 files a folder: top [/ part] / area / package [/ sub [/ leaf]].
            var f = i / 25;
            var folder = $"{tops[f / 80 % tops.Length]}{(f >= 400 ? $"/part{f / 400}" : string.Empty)}/area{f / 16 % 5}/pkg{f / 4 % 4}";
            if (f % 4 != 0)
            {
                folder += $"/sub{f % 4}";
                if (f % 3 == 0)
                {
                    folder += $"/leaf{f % 2}";
                }
            }

            paths[i] = i == 0 ? "README.md" : $"{folder}/file{i}{extensions[i % extensions.Length]}";
            if (i > 0)
            {
                folders.Add(folder);
            }

            var size = (int)Math.Min(8192, 80 + Math.Exp(random.NextDouble() * 4.5) * 12);
            text.Clear();
            text.Append("// ").Append(paths[i]).Append('\n');
            while (text.Length < size)
            {
                text.Append(' ', random.Next(0, 4) * 4);
                for (var w = random.Next(3, 10); w > 0; w--)
                {
                    text.Append(words[random.Next(words.Length)]).Append(random.Next(100) < 20 ? random.Next(1000).ToString(CultureInfo.InvariantCulture) : string.Empty).Append(' ');
                }

                text.Append('\n');
            }

            bytes += text.Length;
            texts[i] = text.ToString();
            await input.WriteAsync($"blob\nmark :{i + 1}\ndata {text.Length}\n");
            await input.WriteAsync(texts[i]);
            await input.WriteAsync('\n');
        }

        const string Message = "Initial import";
        await input.WriteAsync($"commit refs/heads/main\ncommitter Bench <bench@warden.invalid> 1700000000 +0000\ndata {Message.Length}\n{Message}\n");
        for (var i = 0; i < files; i++)
        {
            await input.WriteAsync($"M 100644 :{i + 1} {paths[i]}\n");
        }

        await input.WriteAsync("\ndone\n");
        await input.FlushAsync();
        input.Close();
        await process.WaitForExitAsync();
        Require(process.ExitCode == 0, "git fast-import failed");
        await GitAsync(bare, "repack", "-a", "-d", "-q");
        await GitAsync(bare, "prune-packed");
        // Every ancestor of a leaf folder is a folder too.
        foreach (var f in folders.ToList())
        {
            for (var cut = f.LastIndexOf('/'); cut > 0; cut = f.LastIndexOf('/', cut - 1))
            {
                folders.Add(f[..cut]);
            }
        }

        return (folders.Count, bytes, paths, texts);
    }

    /// <summary>The runtime <c>warden worker</c> uses: bubblewrap with cgroup limits, or (saying so) without them when this host has none.</summary>
    private static (SandboxSessionRuntimeFactory Factory, string Note) CreateSandboxFactory(string state)
    {
        var options = new SandboxRuntimeOptions { StateDirectory = state };
        var report = SandboxRuntime.Probe(options);
        if (!report.BubblewrapWorks)
        {
            throw new InvalidOperationException("bubblewrap does not work here: " + string.Join(" ", report.Problems));
        }

        if (!report.CgroupLimitsAvailable)
        {
            options = options with { RequireCgroupLimits = false };
        }

        var runtime = SandboxRuntime.Create(options);
        var note = $"bubblewrap {report.BubblewrapVersion}, cgroup {report.CgroupVersion} " +
            (report.CgroupLimitsAvailable ? $"with limits ({string.Join(", ", report.WritableCgroupControllers)})" : "WITHOUT limits (not available on this host; `warden worker` would refuse)") +
            (report.EgressAvailable ? ", egress proxy per session" : ", no socat: no egress proxy");
        return (new SandboxSessionRuntimeFactory(runtime), note);
    }

    private static Task WriteFilesAsync(string folder, string[] paths, string[] texts)
    {
        for (var i = 0; i < paths.Length; i++)
        {
            var path = Path.Combine(folder, paths[i]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, texts[i]);
        }

        return Task.CompletedTask;
    }

    private static async Task RunFirstCommandAsync(ISessionRuntime runtime, int i)
    {
        var result = await runtime.ExecuteAsync(new ToolCall($"first{i}", "shell", TrueCommand), _ => ValueTask.CompletedTask, CancellationToken.None);
        Require(result.Status == ToolStatus.Ok && result.ExitCode == 0, $"`true` in the sandbox failed: {result.Status} {result.ExitCode} {result.Error}");
    }

    private static async Task RunTrueAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        Require(process.ExitCode == 0, "/bin/true failed");
    }

    private static async Task GitAsync(string? workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory() };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Require(process.ExitCode == 0, $"git {string.Join(' ', arguments)} failed: {await error}");
    }

    /// <summary>Runs <paramref name="action"/> <paramref name="count"/> times, timing each; <paramref name="after"/> (untimed) cleans up after each.</summary>
    private static async Task<Figures> MeasureAsync(int count, Func<int, Task> action, Func<int, Task>? after, Func<int, Task>? before = null)
    {
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            if (before is not null)
            {
                await before(i);
            }

            var start = Stopwatch.GetTimestamp();
            await action(i);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (after is not null)
            {
                await after(i);
            }
        }

        return Stats(samples);
    }

    private static Func<int, Task> Then(Action<int> cleanup) => i =>
    {
        cleanup(i);
        return Task.CompletedTask;
    };

    /// <summary>Nearest-rank percentiles: with 20 samples p99 is the slowest one.</summary>
    private static Figures Stats(List<double> samples)
    {
        var sorted = samples.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Figures(Rank(0.50), Rank(0.99), sorted[0], sorted.Average());
    }

    private static async Task<double> TimedAsync(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Timed(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>The file system type of <paramref name="path"/> (from /proc/mounts, the longest mount point containing it).</summary>
    private static string FileSystem(string path)
    {
        var best = (Point: string.Empty, Type: "unknown");
        foreach (var line in File.Exists("/proc/mounts") ? File.ReadLines("/proc/mounts") : [])
        {
            var parts = line.Split(' ');
            if (parts.Length > 2 && (path == parts[1] || path.StartsWith(parts[1].TrimEnd('/') + "/", StringComparison.Ordinal)) && parts[1].Length >= best.Point.Length)
            {
                best = (parts[1], parts[2]);
            }
        }

        return best.Type;
    }

    private static long PackBytes(string bare) =>
        new DirectoryInfo(Path.Combine(bare, "objects", "pack")).EnumerateFiles().Sum(f => f.Length);

    private static void DeleteTree(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static string Row(string name, Figures f) => $"| {name} | {f.P50:0.0} | {f.P99:0.0} | {f.Min:0.0} | {f.Mean:0.0} |";

    private sealed record Figures(double P50, double P99, double Min, double Mean);

    /// <summary>The egress channel of the benchmark's sessions: never asked (the first command opens no connection), it would deny.</summary>
    private sealed class DenyingEgressChannel : IEgressChannel
    {
        public Task<(bool Allowed, string? Reason)> CheckAsync(string sessionId, string host, int port, string scheme, CancellationToken cancellationToken) =>
            Task.FromResult<(bool, string?)>((false, "benchmark"));

        public void Report(EgressAttemptMessage attempt)
        {
        }
    }
}
