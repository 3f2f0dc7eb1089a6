using System.Text;

namespace Warden.Models;

/// <summary>
/// How to reach one provider. <see cref="ApiKey"/> is the decrypted credential: it is left out of
/// <see cref="object.ToString"/> (shown as <c>***</c>) and never put into exception messages.
/// </summary>
public sealed record ProviderEndpoint
{
    /// <summary>Which provider protocol to use.</summary>
    public required ProviderKind Kind { get; init; }

    /// <summary>
    /// The provider's base address, ending in a slash. OpenAI: <c>https://api.openai.com/v1/</c>; compatible:
    /// <c>http://host:8000/v1/</c>; Azure: <c>https://NAME.openai.azure.com/</c>; Anthropic:
    /// <c>https://api.anthropic.com/</c> (requests go to <c>{BaseUrl}v1/messages</c>); Bedrock:
    /// <c>https://bedrock-runtime.REGION.amazonaws.com/</c>.
    /// </summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>
    /// The credential: a bearer token (OpenAI, compatible), the <c>api-key</c> header (Azure), <c>x-api-key</c>
    /// (Anthropic), or <c>ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]</c> for Bedrock's SigV4 signing.
    /// Null sends no credential (local servers).
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>Azure <c>api-version</c> (default <c>2024-10-21</c>) or Anthropic <c>anthropic-version</c> (default <c>2023-06-01</c>).</summary>
    public string? ApiVersion { get; init; }

    /// <summary>Bedrock signing region; by default parsed from the host (<c>bedrock-runtime.REGION.amazonaws.com</c>).</summary>
    public string? Region { get; init; }

    // Records print every property; this one keeps the credential out of logs and debugger views.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Kind = ").Append(Kind)
            .Append(", BaseUrl = ").Append(BaseUrl)
            .Append(", ApiKey = ").Append(ApiKey is null ? "null" : "***")
            .Append(", ApiVersion = ").Append(ApiVersion)
            .Append(", Region = ").Append(Region);
        return true;
    }
}
