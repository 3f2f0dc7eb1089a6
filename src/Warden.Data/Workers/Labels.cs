using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Warden.Data.Workers;

/// <summary>Worker and pool labels: validation, the stored JSON form, and matching a session's requirements.</summary>
public static partial class Labels
{
    /// <summary>The most labels one pool or worker may have.</summary>
    public const int MaxCount = 32;

    /// <summary>An empty label set.</summary>
    public static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>Throws a validation error when a key or value breaks the rule; returns a sorted copy.</summary>
    public static IReadOnlyDictionary<string, string> Require(IReadOnlyDictionary<string, string>? labels)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return result;
        }

        if (labels.Count > MaxCount)
        {
            throw WardenException.Invalid($"At most {MaxCount} labels are allowed.");
        }

        foreach (var (key, value) in labels)
        {
            if (!Key().IsMatch(key) || value is null || value.Length > 100 || value.Any(char.IsControl))
            {
                throw WardenException.Invalid($"Label '{Shorten(key)}' is not valid: keys are 1-63 letters, digits, '.', '_', '-' or '/', values at most 100 printable characters.");
            }

            result[key] = value;
        }

        return result;
    }

    /// <summary>The stored form: a JSON object with keys in ordinal order.</summary>
    public static string ToJson(IReadOnlyDictionary<string, string> labels)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in labels.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads the stored form.</summary>
    public static IReadOnlyDictionary<string, string> FromJson(string? json)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return result;
        }

        using var doc = JsonDocument.Parse(json);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            result[p.Name] = p.Value.GetString() ?? string.Empty;
        }

        return result;
    }

    /// <summary>True when every required label is present with the same value on the worker or, failing that, its pool.</summary>
    public static bool Satisfies(IReadOnlyDictionary<string, string> required, IReadOnlyDictionary<string, string> worker, IReadOnlyDictionary<string, string> pool)
    {
        foreach (var (key, value) in required)
        {
            var have = worker.TryGetValue(key, out var w) ? w : pool.TryGetValue(key, out var p) ? p : null;
            if (have != value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>k=v,k2=v2</c>, for display.</summary>
    public static string Format(IReadOnlyDictionary<string, string> labels) =>
        string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    private static string Shorten(string? text) => text is null ? string.Empty : text.Length > 40 ? text[..40] + "…" : text;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Key();
}
