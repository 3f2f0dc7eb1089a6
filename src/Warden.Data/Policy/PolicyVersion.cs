namespace Warden.Data.Policy;

/// <summary>One stored version of an org's policy set. <see cref="Files"/> is null in listings.</summary>
public sealed record PolicyVersion(long Version, string ContentHash, string Message, string CreatedBy, DateTimeOffset CreatedAt, IReadOnlyDictionary<string, string>? Files);
