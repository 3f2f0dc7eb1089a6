namespace Warden.Sandbox.Egress;

/// <summary>How reading a request head ended.</summary>
internal enum ProxyHeadOutcome
{
    /// <summary>The head arrived.</summary>
    Complete,

    /// <summary>The client closed or timed out first.</summary>
    Incomplete,

    /// <summary>The head is larger than allowed.</summary>
    TooLarge,
}
