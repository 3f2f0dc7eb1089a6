namespace Warden.Sandbox.Tools;

/// <summary>What a listed entry is.</summary>
public enum WorkspaceEntryKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link (never followed by the listing).</summary>
    Symlink,

    /// <summary>Anything else (socket, FIFO, device).</summary>
    Other,
}
