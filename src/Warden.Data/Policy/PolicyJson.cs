using System.Text.Json.Serialization;

namespace Warden.Data.Policy;

/// <summary>Source-generated JSON for stored policy files.</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class PolicyJson : JsonSerializerContext;
