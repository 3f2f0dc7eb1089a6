namespace Warden.Data.Workers;

/// <summary>A pool join token's public facts; the secret itself is never stored.</summary>
/// <param name="Id">Stable id (<c>wjk_...</c>; the secret's marker is <c>wjt_</c>).</param>
/// <param name="Pool">The pool's name.</param>
/// <param name="Name">What it is for.</param>
/// <param name="Prefix">The secret's first characters, for recognising it.</param>
/// <param name="CreatedBy">Who minted it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="ExpiresAt">When it stops working, or null.</param>
/// <param name="RevokedAt">When it was revoked, or null.</param>
/// <param name="LastUsedAt">When a worker last connected with it (written at most once a minute).</param>
public sealed record JoinToken(string Id, string Pool, string Name, string Prefix, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    /// <summary>active, expired or revoked at <paramref name="now"/>.</summary>
    public string StateAt(DateTimeOffset now) => RevokedAt is not null ? "revoked" : ExpiresAt is { } e && e <= now ? "expired" : "active";
}
