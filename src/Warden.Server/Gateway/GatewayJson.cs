using System.Text.Json.Serialization;

namespace Warden.Server.Gateway;

/// <summary>Source-generated JSON for the gateway's audit details.</summary>
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
internal sealed partial class GatewayJson : JsonSerializerContext;
