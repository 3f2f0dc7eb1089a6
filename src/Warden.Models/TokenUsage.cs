namespace Warden.Models;

/// <summary>
/// Tokens one model call consumed. <see cref="InputTokens"/> counts every prompt token, including the ones read
/// from the provider's prompt cache (<see cref="CachedInputTokens"/>) and the ones written to it
/// (<see cref="CacheWriteTokens"/>), so the two cache figures are parts of it, never additions. (OpenAI reports it
/// this way; Anthropic reports the three separately and they are summed here.)
/// </summary>
/// <param name="InputTokens">All prompt tokens.</param>
/// <param name="OutputTokens">Generated tokens, reasoning included.</param>
/// <param name="CachedInputTokens">Prompt tokens served from the cache (part of <paramref name="InputTokens"/>).</param>
/// <param name="CacheWriteTokens">Prompt tokens written to the cache (part of <paramref name="InputTokens"/>).</param>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, long CachedInputTokens = 0, long CacheWriteTokens = 0)
{
    /// <summary>Input plus output tokens.</summary>
    public long Total => InputTokens + OutputTokens;
}
