using System.Diagnostics;

namespace Warden.Worker.Tests;

/// <summary>Real git repositories in a temporary folder: a bare "remote" with a couple of commits, reachable over file://.</summary>
internal sealed class GitFixture : IDisposable
{
    public GitFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "warden-git-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Source = Path.Combine(Root, "source");
        Bare = Path.Combine(Root, "remotes", "app.git");
        Git(Root, "init", "-q", "-b", "main", Source);
        File.WriteAllText(Path.Combine(Source, "README.md"), "hello\n");
        Git(Source, "add", ".");
        Git(Source, "commit", "-q", "-m", "first");
        Git(Source, "checkout", "-q", "-b", "feature");
        File.WriteAllText(Path.Combine(Source, "feature.txt"), "feature\n");
        Git(Source, "add", ".");
        Git(Source, "commit", "-q", "-m", "feature");
        Git(Source, "checkout", "-q", "main");
        Git(Root, "clone", "-q", "--bare", Source, Bare);
    }

    public string Root { get; }

    public string Source { get; }

    public string Bare { get; }

    public string Url => new Uri(Bare).AbsoluteUri;

    /// <summary>Adds a commit on main in the remote.</summary>
    public string PushCommit(string file, string content)
    {
        File.WriteAllText(Path.Combine(Source, file), content);
        Git(Source, "add", ".");
        Git(Source, "commit", "-q", "-m", "add " + file);
        Git(Source, "push", "-q", Bare, "main");
        return Git(Source, "rev-parse", "HEAD").Trim();
    }

    public static string Git(string cwd, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        }

        return output;
    }

    /// <summary>Every file under <paramref name="folder"/> (including .git) whose bytes contain <paramref name="text"/>.</summary>
    public static List<string> FilesContaining(string folder, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        return Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            .Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0)
            .ToList();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }
}
