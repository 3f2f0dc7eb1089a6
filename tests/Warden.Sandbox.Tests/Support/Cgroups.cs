namespace Warden.Sandbox.Tests.Support;

/// <summary>Reads the processes of a session's cgroup from the host side.</summary>
public static class Cgroups
{
    public static List<int> Processes(SandboxSession session)
    {
        var pids = new List<int>();
        foreach (var folder in session.CgroupFolders)
        {
            Collect(folder, pids);
        }

        return [.. pids.Distinct()];
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var status = File.ReadAllText($"/proc/{pid}/stat");

            // A zombie is dead for our purposes.
            var state = status[(status.LastIndexOf(')') + 2)..][0];
            return state != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static void Collect(string folder, List<int> pids)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        try
        {
            pids.AddRange(File.ReadAllLines(Path.Combine(folder, "cgroup.procs")).Where(l => l.Length > 0).Select(int.Parse));
            foreach (var child in Directory.GetDirectories(folder))
            {
                Collect(child, pids);
            }
        }
        catch (IOException)
        {
            // Went away.
        }
    }
}
