namespace Warden.Sandbox.Tools;

/// <summary>Caps of the workspace tools.</summary>
public sealed record WorkspaceToolsOptions
{
    /// <summary>Most bytes of content one read returns.</summary>
    public int MaxReadBytes { get; init; } = 256 * 1024;

    /// <summary>Largest file the edit and patch tools load.</summary>
    public long MaxEditFileBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Largest file the search tool reads; larger ones are skipped.</summary>
    public long MaxSearchFileBytes { get; init; } = 2L * 1024 * 1024;

    /// <summary>Most entries a listing returns.</summary>
    public int MaxListEntries { get; init; } = 2000;

    /// <summary>Time one regular expression may spend on one line.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
