namespace Warden.Models.Translation;

/// <summary>Response ids re-expressed for another format, derived deterministically from the upstream id.</summary>
internal static class Ids
{
    private static readonly string[] KnownPrefixes = ["chatcmpl-", "msg_", "resp_", "fc_", "call_", "toolu_"];

    /// <summary><paramref name="upstreamId"/> without its format's prefix, under <paramref name="prefix"/>.</summary>
    public static string Convert(string? upstreamId, string prefix)
    {
        if (string.IsNullOrEmpty(upstreamId))
        {
            return prefix + Guid.NewGuid().ToString("N");
        }

        if (upstreamId.StartsWith(prefix, StringComparison.Ordinal))
        {
            return upstreamId;
        }

        foreach (var known in KnownPrefixes)
        {
            if (upstreamId.StartsWith(known, StringComparison.Ordinal))
            {
                return prefix + upstreamId[known.Length..];
            }
        }

        return prefix + upstreamId;
    }

    public static string ChatId(string? upstreamId) => Convert(upstreamId, "chatcmpl-");

    public static string MessageId(string? upstreamId) => Convert(upstreamId, "msg_");

    public static string ResponseId(string? upstreamId) => Convert(upstreamId, "resp_");

    /// <summary>A Responses function-call item id for a tool call id.</summary>
    public static string FunctionCallItemId(string? callId) => Convert(callId, "fc_");
}
