namespace Warden.Sandbox;

/// <summary>Which output stream of a command a chunk came from.</summary>
public enum OutputStreamKind
{
    /// <summary>Standard output.</summary>
    Stdout,

    /// <summary>Standard error.</summary>
    Stderr,
}
