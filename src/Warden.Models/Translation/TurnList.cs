using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>
/// Anthropic conversation turns under construction. Anthropic wants user and assistant turns to alternate, so a
/// turn with the same role as the one before is merged into it (consecutive tool results become one user turn);
/// a turn with nothing in it is dropped.
/// </summary>
internal sealed class TurnList
{
    private readonly List<(string Role, List<JsonNode> Blocks, string? Plain)> _turns = [];

    /// <summary>Adds a turn; <paramref name="original"/> is the client's content, kept as a plain string when it was one and stays alone.</summary>
    public void Add(string role, JsonNode? original, List<JsonNode> blocks)
    {
        if (blocks.Count == 0)
        {
            return;
        }

        var plain = blocks.Count == 1 ? JsonRead.String(original) : null;
        if (_turns.Count > 0 && _turns[^1].Role == role)
        {
            var last = _turns[^1];
            last.Blocks.AddRange(blocks);
            _turns[^1] = (role, last.Blocks, null);
            return;
        }

        _turns.Add((role, blocks, plain));
    }

    public JsonArray ToJson()
    {
        var result = new JsonArray();
        foreach (var (role, blocks, plain) in _turns)
        {
            JsonNode content = plain is not null ? JsonValue.Create(plain) : new JsonArray([.. blocks]);
            result.Add(new JsonObject { ["role"] = role, ["content"] = content });
        }

        return result;
    }
}
