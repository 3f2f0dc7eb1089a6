namespace Warden.Models.Aws;

/// <summary>AWS credentials for signing. <see cref="ToString"/> shows only the access key id.</summary>
internal sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    /// <summary>Parses <c>ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]</c>.</summary>
    public static AwsCredentials Parse(string? value)
    {
        var parts = (value ?? "").Split(':', 3);
        if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new InvalidOperationException(
                "The Bedrock endpoint's credential must have the form ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN].");
        }

        return new AwsCredentials(parts[0], parts[1], parts.Length == 3 && parts[2].Length > 0 ? parts[2] : null);
    }

    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}
