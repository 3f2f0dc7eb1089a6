using System.Globalization;

namespace Warden.Sandbox.Internal;

/// <summary>
/// The cgroup hierarchy of the host and the parent cgroup(s) under which session cgroups are made.
/// On v1 there is one parent per controller hierarchy; on v2 one parent in the unified hierarchy.
/// </summary>
internal sealed class CgroupHost
{
    private static readonly string[] V1Controllers = ["pids", "memory", "cpu", "freezer"];
    private static readonly string[] V2Controllers = ["pids", "memory", "cpu"];

    private CgroupHost(CgroupVersion version, IReadOnlyDictionary<string, string> parents, IReadOnlyList<string> controllers, bool killSupported)
    {
        Version = version;
        Parents = parents;
        Controllers = controllers;
        KillSupported = killSupported;
    }

    /// <summary>The hierarchy version.</summary>
    public CgroupVersion Version { get; }

    /// <summary>v1: controller name to the absolute parent folder; v2: the key "unified" to the parent folder.</summary>
    public IReadOnlyDictionary<string, string> Parents { get; }

    /// <summary>Controllers session cgroups get.</summary>
    public IReadOnlyList<string> Controllers { get; }

    /// <summary>True when a whole cgroup can be killed at once.</summary>
    public bool KillSupported { get; }

    /// <summary>True when the pids and memory controllers are available.</summary>
    public bool HasLimits => Controllers.Contains("pids") && Controllers.Contains("memory");

    /// <summary>Finds the hierarchy and prepares the parent cgroup(s); problems are added to <paramref name="problems"/>.</summary>
    public static CgroupHost Discover(string root, string? parent, List<string> problems)
    {
        try
        {
            if (File.Exists(Path.Combine(root, "cgroup.controllers")))
            {
                return DiscoverV2(root, parent, problems);
            }

            if (V1Controllers.Any(c => File.Exists(Path.Combine(root, c, "cgroup.procs"))))
            {
                return DiscoverV1(root, parent, problems);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"cgroups under {root} cannot be used: {e.Message}");
            return None;
        }

        problems.Add($"No cgroup hierarchy was found under {root}: session process and memory limits cannot be enforced.");
        return None;
    }

    /// <summary>A host without usable cgroups.</summary>
    public static CgroupHost None { get; } = new(CgroupVersion.None, new Dictionary<string, string>(), [], false);

    private static CgroupHost DiscoverV1(string root, string? parent, List<string> problems)
    {
        var own = ReadOwnCgroups();
        var mounts = ReadMountRoots();
        var parents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var controller in V1Controllers)
        {
            var hierarchy = Path.Combine(root, controller);
            if (!File.Exists(Path.Combine(hierarchy, "cgroup.procs")))
            {
                problems.Add($"cgroup v1: the {controller} controller is not mounted at {hierarchy}.");
                continue;
            }

            var real = ResolveDirectory(hierarchy);
            var ownPath = own.FirstOrDefault(e => e.Controllers.Contains(controller)).Path ?? "/";
            var relative = parent ?? Combine(StripMountRoot(ownPath, mounts.GetValueOrDefault(real, "/")), "warden-sandbox");
            var folder = Path.Combine(real, relative.TrimStart('/'));
            try
            {
                Directory.CreateDirectory(folder);
                parents[controller] = folder;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"cgroup v1: cannot create {folder} ({e.Message}); the {controller} controller is unavailable.");
            }
        }

        return new CgroupHost(CgroupVersion.V1, parents, [.. parents.Keys], parents.ContainsKey("freezer"));
    }

    private static CgroupHost DiscoverV2(string root, string? parent, List<string> problems)
    {
        var real = ResolveDirectory(root);
        var mounts = ReadMountRoots();
        var ownPath = ReadOwnCgroups().FirstOrDefault(e => e.Hierarchy == "0").Path ?? "/";
        var relative = parent ?? Combine(StripMountRoot(ownPath, mounts.GetValueOrDefault(real, "/")), "warden-sandbox");
        var folder = Path.Combine(real, relative.TrimStart('/'));
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"cgroup v2: cannot create {folder} ({e.Message}); sessions get no cgroup.");
            return None;
        }

        // Session cgroups get a controller when their parent lists it in cgroup.subtree_control, which in turn needs
        // it enabled in the grandparent. That fails (EBUSY) when the grandparent holds processes and is not the root:
        // then the worker must run in a leaf cgroup of a delegated subtree (see README).
        var grandparent = Path.GetDirectoryName(folder)!;
        var available = ReadWords(Path.Combine(grandparent, "cgroup.controllers"));
        foreach (var controller in V2Controllers)
        {
            if (!available.Contains(controller))
            {
                continue;
            }

            TryEnable(grandparent, controller);
            TryEnable(folder, controller);
        }

        var enabled = ReadWords(Path.Combine(folder, "cgroup.subtree_control"));
        var controllers = V2Controllers.Where(enabled.Contains).ToList();
        foreach (var missing in new[] { "pids", "memory" }.Where(c => !controllers.Contains(c)))
        {
            problems.Add(available.Contains(missing)
                ? $"cgroup v2: cannot enable the {missing} controller for {folder}; the worker's cgroup probably holds processes (run the worker in a leaf cgroup of a delegated subtree or set CgroupParent)."
                : $"cgroup v2: the {missing} controller is not available in {grandparent}.");
        }

        var kill = File.Exists(Path.Combine(folder, "cgroup.kill")) || File.Exists(Path.Combine(folder, "cgroup.freeze"));
        return new CgroupHost(CgroupVersion.V2, new Dictionary<string, string> { ["unified"] = folder }, controllers, kill);
    }

    private static void TryEnable(string folder, string controller)
    {
        try
        {
            if (!ReadWords(Path.Combine(folder, "cgroup.subtree_control")).Contains(controller))
            {
                File.WriteAllText(Path.Combine(folder, "cgroup.subtree_control"), "+" + controller);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Reported by the caller, which checks what ended up enabled.
        }
    }

    private static HashSet<string> ReadWords(string file)
    {
        try
        {
            return [.. File.ReadAllText(file).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Combine(string a, string b) => a.TrimEnd('/') + "/" + b;

    private static string StripMountRoot(string path, string mountRoot)
    {
        if (mountRoot == "/" || mountRoot.Length == 0)
        {
            return path;
        }

        return path.StartsWith(mountRoot, StringComparison.Ordinal) ? "/" + path[mountRoot.Length..].TrimStart('/') : path;
    }

    private static string ResolveDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        return info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)!.FullName;
    }

    private static List<(string Hierarchy, string[] Controllers, string Path)> ReadOwnCgroups()
    {
        var result = new List<(string, string[], string)>();
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3)
            {
                result.Add((parts[0], parts[1].Split(','), parts[2]));
            }
        }

        return result;
    }

    /// <summary>Mount point to the root of the cgroup it shows, from /proc/self/mountinfo.</summary>
    private static Dictionary<string, string> ReadMountRoots()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
                var dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0)
                {
                    continue;
                }

                var fstype = line[(dash + 3)..].Split(' ')[0];
                if (fstype is not ("cgroup" or "cgroup2"))
                {
                    continue;
                }

                var fields = line[..dash].Split(' ');
                if (fields.Length >= 5)
                {
                    result[Unescape(fields[4])] = Unescape(fields[3]);
                }
            }
        }
        catch (IOException)
        {
            // Without mountinfo, assume the hierarchies are mounted at their roots.
        }

        return result;
    }

    private static string Unescape(string field) =>
        field.Contains('\\', StringComparison.Ordinal)
            ? System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString(CultureInfo.InvariantCulture))
            : field;
}
