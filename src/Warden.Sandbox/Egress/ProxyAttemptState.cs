namespace Warden.Sandbox.Egress;

/// <summary>What is known about one attempt while it is served.</summary>
internal sealed class ProxyAttemptState
{
    public long BytesUp;
    public long BytesDown;

    public EgressRequest? Request { get; set; }

    public bool Allowed { get; set; }

    public string? Reason { get; set; }

    public int Status { get; set; }

    public string? Address { get; set; }
}
