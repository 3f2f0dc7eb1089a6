using System.Text.Json;
using System.Text.Json.Serialization;

namespace Warden.Client.Contracts;

/// <summary>Source-generated JSON metadata for every API shape, shared by the server and the client.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OrgDto))]
[JsonSerializable(typeof(IReadOnlyList<OrgDto>))]
[JsonSerializable(typeof(MeDto))]
[JsonSerializable(typeof(TeamDto))]
[JsonSerializable(typeof(IReadOnlyList<TeamDto>))]
[JsonSerializable(typeof(UserDto))]
[JsonSerializable(typeof(IReadOnlyList<UserDto>))]
[JsonSerializable(typeof(TokenDto))]
[JsonSerializable(typeof(IReadOnlyList<TokenDto>))]
[JsonSerializable(typeof(CreatedTokenDto))]
[JsonSerializable(typeof(CreateOrgRequest))]
[JsonSerializable(typeof(CreateTeamRequest))]
[JsonSerializable(typeof(AddTeamMemberRequest))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UpdateUserRequest))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(SetPasswordRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(AuditEventDto))]
[JsonSerializable(typeof(AuditPageDto))]
[JsonSerializable(typeof(AuditVerificationDto))]
[JsonSerializable(typeof(IReadOnlyList<AuditKeyDto>))]
[JsonSerializable(typeof(PolicyVersionDto))]
[JsonSerializable(typeof(IReadOnlyList<PolicyVersionDto>))]
[JsonSerializable(typeof(PushPolicyRequest))]
[JsonSerializable(typeof(PushPolicyResponse))]
[JsonSerializable(typeof(AuthorizeRequest))]
[JsonSerializable(typeof(AuthorizeResponse))]
[JsonSerializable(typeof(PolicyDiffDto))]
public sealed partial class WardenJsonContext : JsonSerializerContext;
