using System.Text.Json.Serialization;

namespace Warden.Client.Contracts;

/// <summary>An RFC 9457 problem document as the API returns it (<c>application/problem+json</c>).</summary>
public sealed record ProblemDto(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("errors")] IReadOnlyList<string>? Errors = null);
