using System.Text.Json;
using System.Text.Json.Serialization;

namespace Warden.Protocol;

/// <summary>Source-generated JSON metadata for the protocol's messages (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(ProtocolMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
