using System.Text.Json.Serialization;

namespace Warden.Client.Contracts;

// The REST API's JSON shapes. Requests reject unknown fields so a typo such as "rol" fails loudly instead of being
// ignored; responses are open to additions.

/// <summary>An org as the caller sees it, with the caller's role there.</summary>
public sealed record OrgDto(string Id, string Name, string DisplayName, string Role, DateTimeOffset CreatedAt);

/// <summary><c>GET /api/v1/me</c>.</summary>
public sealed record MeDto(string Id, string Name, string DisplayName, string? Email, bool IsSiteAdmin, IReadOnlyList<OrgDto> Orgs);

/// <summary>A team.</summary>
public sealed record TeamDto(string Id, string Name, string DisplayName, string Description, int MemberCount, DateTimeOffset CreatedAt);

/// <summary>A user as a member of an org.</summary>
public sealed record UserDto(string Id, string Name, string DisplayName, string? Email, string Role, bool IsSiteAdmin, bool Disabled, DateTimeOffset CreatedAt);

/// <summary>An API token's public facts.</summary>
public sealed record TokenDto(string Id, string Name, string Prefix, string State, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>A new token; <see cref="Secret"/> is shown this once and never again.</summary>
public sealed record CreatedTokenDto(TokenDto Token, string Secret);

/// <summary><c>POST /api/v1/orgs</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateOrgRequest(string Name, string? DisplayName = null);

/// <summary><c>POST /api/v1/orgs/{org}/teams</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateTeamRequest(string Name, string? DisplayName = null, string? Description = null);

/// <summary><c>POST /api/v1/orgs/{org}/teams/{team}/members</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AddTeamMemberRequest(string User);

/// <summary><c>POST /api/v1/orgs/{org}/users</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateUserRequest(string Name, string? DisplayName = null, string? Email = null, string? Role = null, string? Password = null);

/// <summary><c>PATCH /api/v1/orgs/{org}/users/{user}</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateUserRequest(string Role);

/// <summary><c>POST /api/v1/tokens</c>. <see cref="ExpiresInDays"/> null means no expiry.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateTokenRequest(string Name, int? ExpiresInDays = null);

/// <summary><c>PUT /api/v1/me/password</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SetPasswordRequest(string NewPassword, string? CurrentPassword = null);

/// <summary><c>POST /api/v1/auth/login</c>: password sign-in that sets the web session cookie.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record LoginRequest(string Username, string Password);

/// <summary><c>GET /healthz</c> and <c>GET /readyz</c>.</summary>
public sealed record HealthDto(string Status, string? Database = null, long? SchemaVersion = null, string? Detail = null);
