namespace Warden.Protocol;

/// <summary>The codes of <see cref="ErrorMessage"/>.</summary>
public static class ErrorCodes
{
    /// <summary>The message could not be parsed or is of an unknown type.</summary>
    public const string BadMessage = "bad_message";

    /// <summary>The sender's protocol version is not spoken here.</summary>
    public const string UnsupportedVersion = "unsupported_version";

    /// <summary>The hello asked for a pool the join token does not belong to, or a worker id of another pool.</summary>
    public const string WrongPool = "wrong_pool";

    /// <summary>The hello named a worker id without that worker's secret (or with a wrong one).</summary>
    public const string WorkerSecretRequired = "worker_secret_required";

    /// <summary>The session is not known to the receiver.</summary>
    public const string UnknownSession = "unknown_session";

    /// <summary>The first message was not a hello, or a hello came twice.</summary>
    public const string NotRegistered = "not_registered";
}
