namespace Warden.Data.Identity;

/// <summary>What it takes to create a user.</summary>
public sealed record NewUser(string Name, string? DisplayName = null, string? Email = null, string? Role = null, string? Password = null);
