using System.Diagnostics;
using System.Globalization;

namespace Warden.Sandbox.Internal;

/// <summary>
/// One cgroup of a session (or of one command inside it): a folder per v1 controller hierarchy, or one folder in
/// the v2 hierarchy. Processes join it by writing their pid to every <see cref="ProcsFiles"/> entry.
/// </summary>
internal sealed class SandboxCgroup
{
    private static readonly TimeSpan KillDeadline = TimeSpan.FromSeconds(10);
    private readonly CgroupVersion _version;
    private readonly Dictionary<string, string> _folders;

    private SandboxCgroup(CgroupVersion version, Dictionary<string, string> folders)
    {
        _version = version;
        _folders = folders;
    }

    /// <summary>Files a process writes its pid to, to join this cgroup.</summary>
    public IReadOnlyList<string> ProcsFiles => [.. _folders.Values.Select(f => Path.Combine(f, "cgroup.procs"))];

    /// <summary>The folders, one per hierarchy.</summary>
    public IReadOnlyCollection<string> Folders => _folders.Values;

    /// <summary>Makes a session cgroup under the host's parents and writes the limits.</summary>
    public static SandboxCgroup Create(CgroupHost host, string name, SandboxLimits limits)
    {
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, parent) in host.Parents)
        {
            var folder = Path.Combine(parent, name);
            Directory.CreateDirectory(folder);
            folders[key] = folder;
        }

        var cgroup = new SandboxCgroup(host.Version, folders);
        try
        {
            cgroup.WriteLimits(limits);
        }
        catch
        {
            cgroup.Remove();
            throw;
        }

        return cgroup;
    }

    /// <summary>Makes a child cgroup (one per command) in every hierarchy; the session's limits hold for it too.</summary>
    public SandboxCgroup CreateChild(string name)
    {
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, folder) in _folders)
        {
            var child = Path.Combine(folder, name);
            Directory.CreateDirectory(child);
            folders[key] = child;
        }

        return new SandboxCgroup(_version, folders);
    }

    private void WriteLimits(SandboxLimits limits)
    {
        if (_version == CgroupVersion.V1)
        {
            if (limits.MaxProcesses is { } pids && _folders.TryGetValue("pids", out var p))
            {
                Write(p, "pids.max", pids.ToString(CultureInfo.InvariantCulture));
            }

            if (limits.MemoryBytes is { } memory && _folders.TryGetValue("memory", out var m))
            {
                Write(m, "memory.limit_in_bytes", memory.ToString(CultureInfo.InvariantCulture));

                // With swap accounting, memory+swap gets the same limit so a process cannot spill into swap.
                TryWrite(m, "memory.memsw.limit_in_bytes", memory.ToString(CultureInfo.InvariantCulture));
            }

            if (limits.CpuCores is { } cores && _folders.TryGetValue("cpu", out var c))
            {
                Write(c, "cpu.cfs_period_us", "100000");
                Write(c, "cpu.cfs_quota_us", ((long)(cores * 100_000)).ToString(CultureInfo.InvariantCulture));
            }

            return;
        }

        var folder = _folders["unified"];
        if (limits.MaxProcesses is { } max && File.Exists(Path.Combine(folder, "pids.max")))
        {
            Write(folder, "pids.max", max.ToString(CultureInfo.InvariantCulture));
        }

        if (limits.MemoryBytes is { } bytes && File.Exists(Path.Combine(folder, "memory.max")))
        {
            Write(folder, "memory.max", bytes.ToString(CultureInfo.InvariantCulture));
            TryWrite(folder, "memory.swap.max", "0");
        }

        if (limits.CpuCores is { } quota && File.Exists(Path.Combine(folder, "cpu.max")))
        {
            Write(folder, "cpu.max", string.Create(CultureInfo.InvariantCulture, $"{(long)(quota * 100_000)} 100000"));
        }
    }

    /// <summary>Reads the event counters (of the session cgroup, where the limits are).</summary>
    public CgroupCounters ReadCounters()
    {
        if (_version == CgroupVersion.V1)
        {
            return new CgroupCounters(
                _folders.TryGetValue("pids", out var p) ? ReadKey(Path.Combine(p, "pids.events"), "max") : 0,
                _folders.TryGetValue("memory", out var m) ? ReadKey(Path.Combine(m, "memory.oom_control"), "oom_kill") : 0);
        }

        if (_version == CgroupVersion.V2)
        {
            var folder = _folders["unified"];
            return new CgroupCounters(ReadKey(Path.Combine(folder, "pids.events"), "max"), ReadKey(Path.Combine(folder, "memory.events"), "oom_kill"));
        }

        return default;
    }

    /// <summary>The pids in this cgroup and every cgroup below it.</summary>
    public List<int> ReadProcesses()
    {
        var pids = new List<int>();
        var folder = _version == CgroupVersion.V2 ? _folders["unified"] : _folders.TryGetValue("pids", out var p) ? p : _folders.Values.First();
        CollectProcesses(folder, pids);
        if (_version == CgroupVersion.V1)
        {
            // A process that joined only some hierarchies (the launcher stopped between writes) is still ours.
            foreach (var other in _folders.Values.Where(f => f != folder))
            {
                CollectProcesses(other, pids);
            }
        }

        return [.. pids.Distinct()];
    }

    /// <summary>
    /// Kills every process of this cgroup and below, and waits until they are gone. v2 uses cgroup.kill (or freezes
    /// first when it is missing), v1 freezes with the freezer controller, kills, and thaws, so nothing can fork
    /// in between. Without a freezer it kills repeatedly until the cgroup is empty.
    /// </summary>
    public async Task KillAllAsync(CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        if (_version == CgroupVersion.V2)
        {
            var folder = _folders["unified"];
            if (File.Exists(Path.Combine(folder, "cgroup.kill")))
            {
                Write(folder, "cgroup.kill", "1");
            }
            else if (File.Exists(Path.Combine(folder, "cgroup.freeze")))
            {
                Write(folder, "cgroup.freeze", "1");
                await WaitAsync(() => ReadKey(Path.Combine(folder, "cgroup.events"), "frozen") == 1, deadline, cancellationToken).ConfigureAwait(false);
                KillAll(ReadProcesses());
                Write(folder, "cgroup.freeze", "0");
            }
        }
        else if (_version == CgroupVersion.V1 && _folders.TryGetValue("freezer", out var freezer))
        {
            if (ReadProcesses().Count > 0)
            {
                Write(freezer, "freezer.state", "FROZEN");
                await WaitAsync(() => File.ReadAllText(Path.Combine(freezer, "freezer.state")).Trim() == "FROZEN", deadline, cancellationToken).ConfigureAwait(false);
                KillAll(ReadProcesses());
                Write(freezer, "freezer.state", "THAWED");
            }
        }

        await WaitAsync(
            () =>
            {
                var left = ReadProcesses();
                KillAll(left);
                return left.Count == 0;
            },
            deadline,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the cgroup folders (children first). Fails quietly on folders that still hold processes.</summary>
    public bool Remove()
    {
        var removed = true;
        foreach (var folder in _folders.Values)
        {
            removed &= RemoveTree(folder);
        }

        return removed;
    }

    private static bool RemoveTree(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return true;
        }

        var ok = true;
        foreach (var child in Directory.GetDirectories(folder))
        {
            ok &= RemoveTree(child);
        }

        try
        {
            // rmdir works on a cgroup folder even though it lists control files.
            Directory.Delete(folder, recursive: false);
        }
        catch (IOException)
        {
            ok = false;
        }

        return ok;
    }

    private static async Task WaitAsync(Func<bool> condition, Stopwatch deadline, CancellationToken cancellationToken)
    {
        var delay = 1;
        while (!condition())
        {
            if (deadline.Elapsed > KillDeadline)
            {
                throw new SandboxRuntimeException("The sandbox's processes could not all be killed in time; the session cgroup is kept.");
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }
    }

    private static void KillAll(List<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    private static void CollectProcesses(string folder, List<int> pids)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        try
        {
            foreach (var line in File.ReadAllLines(Path.Combine(folder, "cgroup.procs")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    pids.Add(pid);
                }
            }

            foreach (var child in Directory.GetDirectories(folder))
            {
                CollectProcesses(child, pids);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder went away while being read.
        }
    }

    private static long ReadKey(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing counters read as zero.
        }

        return 0;
    }

    private static void Write(string folder, string file, string value) => File.WriteAllText(Path.Combine(folder, file), value);

    private static void TryWrite(string folder, string file, string value)
    {
        try
        {
            if (File.Exists(Path.Combine(folder, file)))
            {
                File.WriteAllText(Path.Combine(folder, file), value);
            }
        }
        catch (IOException)
        {
            // Optional knob (swap accounting off).
        }
    }
}
