namespace Warden.Sandbox.Tests.Support;

/// <summary>
/// One runtime for the test run. Creating it throws when bubblewrap is missing or broken, so every sandbox test
/// fails (never skips) on a machine without it.
/// </summary>
public sealed class SandboxFixture : IDisposable
{
    public SandboxFixture()
    {
        Root = Directory.CreateTempSubdirectory("warden-sandbox-tests-").FullName;
        Runtime = SandboxRuntime.Create(new SandboxRuntimeOptions { StateDirectory = Path.Combine(Root, "state") });
    }

    /// <summary>A temp folder for the run.</summary>
    public string Root { get; }

    /// <summary>The runtime (bubblewrap, cgroups required).</summary>
    public SandboxRuntime Runtime { get; }

    /// <summary>A fresh workspace: a git repository with one commit.</summary>
    public TestWorkspace NewWorkspace() => TestWorkspace.Create(Root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Leftovers in /tmp are harmless.
        }
    }
}
