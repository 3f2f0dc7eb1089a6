using System.Diagnostics;

namespace Warden.Sandbox.Tests.Support;

/// <summary>A temporary git repository used as a session workspace.</summary>
public sealed class TestWorkspace : IDisposable
{
    private TestWorkspace(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static TestWorkspace Create(string root)
    {
        var path = System.IO.Path.Combine(root, "ws-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        var workspace = new TestWorkspace(path);
        System.IO.File.WriteAllText(System.IO.Path.Combine(path, "README.md"), "hello\n");
        workspace.Git("init", "-q", "-b", "main");
        workspace.Git("add", "-A");
        workspace.Git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "init");
        return workspace;
    }

    public string PathOf(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>Runs git on the host, as the worker would.</summary>
    public string Git(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path };
        foreach (var a in arguments)
        {
            startInfo.ArgumentList.Add(a);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {error}");
        }

        return output;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Leftovers in /tmp are harmless.
        }
    }
}
