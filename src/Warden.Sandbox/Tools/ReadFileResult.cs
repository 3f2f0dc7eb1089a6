namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.ReadFileAsync"/> returns.</summary>
public sealed record ReadFileResult
{
    /// <summary>The workspace-relative path.</summary>
    public required string Path { get; init; }

    /// <summary>The lines read, joined with '\n' and ending with one when the file has one there; empty for binary files.</summary>
    public required string Content { get; init; }

    /// <summary>First line returned (1-based); 0 when nothing was returned.</summary>
    public int StartLine { get; init; }

    /// <summary>Last line returned (1-based); 0 when nothing was returned.</summary>
    public int EndLine { get; init; }

    /// <summary>Lines in the whole file.</summary>
    public int TotalLines { get; init; }

    /// <summary>True when the requested lines did not all fit under the size cap.</summary>
    public bool Truncated { get; init; }

    /// <summary>True when the file looks binary (a NUL byte in its first 8 KiB); then no content is returned.</summary>
    public bool IsBinary { get; init; }

    /// <summary>Size of the file in bytes.</summary>
    public long SizeBytes { get; init; }
}
