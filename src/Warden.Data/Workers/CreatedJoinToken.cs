namespace Warden.Data.Workers;

/// <summary>A freshly minted join token with its secret, shown once.</summary>
/// <param name="Token">The token's public facts.</param>
/// <param name="Secret">The secret (<c>wjt_</c> + 43 base62 characters, 256 bits).</param>
public sealed record CreatedJoinToken(JoinToken Token, string Secret);
