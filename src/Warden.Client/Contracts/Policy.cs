using System.Text.Json;
using System.Text.Json.Serialization;

namespace Warden.Client.Contracts;

/// <summary>A stored version of an org's policy set; <see cref="Files"/> only when one version is fetched.</summary>
public sealed record PolicyVersionDto(string Version, string ContentHash, string Message, string CreatedBy, DateTimeOffset? CreatedAt, IReadOnlyDictionary<string, string>? Files = null);

/// <summary><c>POST /api/v1/orgs/{org}/policies</c>: files of a bundle (relative path to text).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PushPolicyRequest(IReadOnlyDictionary<string, string> Files, string? Message = null);

/// <summary>The version now active; <see cref="Created"/> is false when the content equalled the active version.</summary>
public sealed record PushPolicyResponse(PolicyVersionDto Version, bool Created, int Policies, int TestsPassed);

/// <summary>An entity reference: <c>{"type": "Warden::Agent", "id": "ses_1"}</c>.</summary>
public sealed record EntityRefDto(string Type, string Id);

/// <summary>
/// <c>POST /api/v1/orgs/{org}/authorize</c>: a request in Cedar's terms. <see cref="Entities"/> is an array in Cedar's
/// entity JSON format describing the principal, resource and their parents.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AuthorizeRequest(EntityRefDto Principal, EntityRefDto Action, EntityRefDto Resource, JsonElement? Context = null, JsonElement? Entities = null);

/// <summary>The answer: decision, whether a person must approve first, and why.</summary>
public sealed record AuthorizeResponse(
    string Decision,
    bool ApprovalRequired,
    IReadOnlyList<string> Determining,
    IReadOnlyList<PolicyErrorDto> Errors,
    string PolicyVersion,
    string ContentHash);

/// <summary>A policy that failed to evaluate (it was skipped).</summary>
public sealed record PolicyErrorDto(string PolicyId, string Message);

/// <summary>A unified diff between two versions.</summary>
public sealed record PolicyDiffDto(string From, string To, string Diff);
