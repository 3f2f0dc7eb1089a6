using System.Text.Json;
using System.Text.Json.Serialization;

namespace Warden.Protocol;

/// <summary>
/// Source-generated JSON metadata for the arguments and results of <see cref="WorkerOperations"/>: snake_case like the
/// other tools' arguments, nulls omitted. Requests refuse unknown properties (a misspelt argument is an error, not a no-op); results
/// accept them, so a newer worker's extra fields do not break an older server.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PublishRequest))]
[JsonSerializable(typeof(PublishResult))]
[JsonSerializable(typeof(DiffRequest))]
[JsonSerializable(typeof(DiffResult))]
public sealed partial class WorkerOperationsJsonContext : JsonSerializerContext;
