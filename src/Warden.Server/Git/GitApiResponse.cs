using System.Text.Json;

namespace Warden.Server.Git;

/// <summary>A Git host API's answer: status, reason, raw text and the JSON in it (null when it was not JSON).</summary>
internal sealed record GitApiResponse(int Status, string Reason, string Text, JsonElement? Json)
{
    /// <summary>Whether the status is 2xx.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>
    /// The host's own explanation, on one line: GitHub's <c>message</c> with each <c>errors[]</c> entry, GitLab's
    /// <c>message</c> (a string, a list or an object of lists) or <c>error</c>, Gitea's <c>message</c>; else the start
    /// of the body.
    /// </summary>
    public string ProviderMessage()
    {
        var parts = new List<string>();
        if (Json is { ValueKind: JsonValueKind.Object } root)
        {
            foreach (var name in new[] { "message", "error", "error_description" })
            {
                if (root.TryGetProperty(name, out var value))
                {
                    Flatten(value, null, parts);
                }
            }

            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in errors.EnumerateArray())
                {
                    if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                    {
                        parts.Add(m.GetString()!);
                    }
                    else if (e.ValueKind == JsonValueKind.Object)
                    {
                        // GitHub's field errors: {"resource":"PullRequest","field":"head","code":"invalid"}.
                        var field = e.TryGetProperty("field", out var f) ? f.ToString() : null;
                        var code = e.TryGetProperty("code", out var c) ? c.ToString() : null;
                        if (field is not null || code is not null)
                        {
                            parts.Add($"{field} {code}".Trim());
                        }
                    }
                    else if (e.ValueKind == JsonValueKind.String)
                    {
                        parts.Add(e.GetString()!);
                    }
                }
            }
        }

        var text = parts.Count > 0 ? string.Join("; ", parts.Distinct()) : Text.Trim();
        text = text.ReplaceLineEndings(" ");
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    private static void Flatten(JsonElement value, string? key, List<string> parts)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                parts.Add(key is null ? value.GetString()! : $"{key} {value.GetString()}");
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(item, key, parts);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Flatten(property.Value, property.Name, parts);
                }

                break;
        }
    }
}
