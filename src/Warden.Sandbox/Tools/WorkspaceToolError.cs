namespace Warden.Sandbox.Tools;

/// <summary>Why a workspace tool refused or failed.</summary>
public enum WorkspaceToolError
{
    /// <summary>An argument is malformed (empty pattern, bad line range, invalid regex, ...).</summary>
    InvalidArgument,

    /// <summary>The path leaves the workspace (absolute elsewhere, <c>..</c>, or a symbolic link pointing out).</summary>
    PathOutsideWorkspace,

    /// <summary>Writing through a symbolic link, or into the workspace's <c>.git</c> folder, is refused.</summary>
    WriteRefused,

    /// <summary>The file or folder does not exist.</summary>
    NotFound,

    /// <summary>A file was expected and a folder was found, or the reverse.</summary>
    WrongKind,

    /// <summary>The file is larger than the tool's cap.</summary>
    TooLarge,

    /// <summary>The text to replace was not found.</summary>
    EditNotFound,

    /// <summary>The text to replace occurs more than once and <see cref="FileEdit.ReplaceAll"/> is false.</summary>
    EditAmbiguous,

    /// <summary>A patch is malformed or one of its hunks does not apply.</summary>
    PatchFailed,

    /// <summary>A git command failed.</summary>
    GitFailed,
}
