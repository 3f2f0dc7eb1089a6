namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.WriteFileAsync"/> returns.</summary>
/// <param name="Path">The workspace-relative path.</param>
/// <param name="BytesWritten">Bytes written (UTF-8).</param>
/// <param name="Created">True when the file did not exist before.</param>
public sealed record WriteFileResult(string Path, long BytesWritten, bool Created);
