using System.Text.Json.Nodes;
using Warden.Models.Translation;

namespace Warden.Models;

/// <summary>Reads token usage from non-streaming response bodies.</summary>
public static class UsageReader
{
    /// <summary>The usage a response body in <paramref name="format"/> reports, or null when it reports none.</summary>
    public static TokenUsage? FromResponse(WireFormat format, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body["usage"] is not JsonObject usage)
        {
            return null;
        }

        switch (format)
        {
            case WireFormat.OpenAIChat:
            case WireFormat.OpenAIEmbeddings:
                return new TokenUsage(
                    JsonRead.Long(usage["prompt_tokens"]) ?? 0,
                    JsonRead.Long(usage["completion_tokens"]) ?? 0,
                    JsonRead.Long(usage["prompt_tokens_details"]?["cached_tokens"]) ?? 0);
            case WireFormat.OpenAIResponses:
                return new TokenUsage(
                    JsonRead.Long(usage["input_tokens"]) ?? 0,
                    JsonRead.Long(usage["output_tokens"]) ?? 0,
                    JsonRead.Long(usage["input_tokens_details"]?["cached_tokens"]) ?? 0);
            case WireFormat.AnthropicMessages:
                var read = JsonRead.Long(usage["cache_read_input_tokens"]) ?? 0;
                var write = JsonRead.Long(usage["cache_creation_input_tokens"]) ?? 0;
                return new TokenUsage(
                    (JsonRead.Long(usage["input_tokens"]) ?? 0) + read + write,
                    JsonRead.Long(usage["output_tokens"]) ?? 0,
                    read,
                    write);
            default:
                return null;
        }
    }
}
