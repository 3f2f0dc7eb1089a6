namespace Warden.Protocol;

/// <summary>
/// The versions of the server-worker protocol. Every message carries the sender's version in <c>v</c>; the server
/// accepts a worker whose hello is within <see cref="Minimum"/>..<see cref="Current"/> and refuses it otherwise, with an
/// <c>error</c> message that says which versions it speaks.
/// </summary>
public static class ProtocolVersions
{
    /// <summary>The version this build speaks.</summary>
    public const int Current = 1;

    /// <summary>The oldest version this build still accepts.</summary>
    public const int Minimum = 1;

    /// <summary>The WebSocket sub-protocol name a worker offers and the server selects.</summary>
    public const string SubProtocol = "warden.worker.v1";

    /// <summary>True when <paramref name="version"/> is one this build speaks.</summary>
    public static bool IsSupported(int version) => version is >= Minimum and <= Current;
}
