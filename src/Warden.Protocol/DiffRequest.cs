using System.Text.Json.Serialization;

namespace Warden.Protocol;

/// <summary>The arguments of <see cref="WorkerOperations.Diff"/> (JSON, snake_case): <c>{"max_bytes"?}</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DiffRequest
{
    /// <summary>The largest diff text returned, in bytes of UTF-8 (at most <see cref="MaxBytesLimit"/>, which is also the default).</summary>
    public int? MaxBytes { get; init; }

    /// <summary>The cap on <see cref="MaxBytes"/>: JSON escaping can grow text up to six times, and a frame holds 4 MiB.</summary>
    public const int MaxBytesLimit = 512 * 1024;
}
