namespace Warden.Sandbox.Tools;

/// <summary>What a patch did to one file.</summary>
public enum PatchFileChange
{
    /// <summary>The file was created.</summary>
    Added,

    /// <summary>The file was changed.</summary>
    Modified,

    /// <summary>The file was deleted.</summary>
    Deleted,
}
