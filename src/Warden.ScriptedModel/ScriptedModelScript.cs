using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Warden.ScriptedModel;

/// <summary>
/// Turns read from a script file (JSON, or YAML for <c>.yaml</c>/<c>.yml</c>), for <c>warden demo</c> and hand-written
/// scenarios. The format is described in the project README; every problem in a file is reported at once.
/// </summary>
public sealed class ScriptedModelScript
{
    private ScriptedModelScript(IReadOnlyList<ScriptedTurn> turns, ScriptedTurn? defaultTurn)
    {
        Turns = turns;
        DefaultTurn = defaultTurn;
    }

    /// <summary>The turns, in the order they are to be queued.</summary>
    public IReadOnlyList<ScriptedTurn> Turns { get; }

    /// <summary>The answer once the turns are used up, when the script names one.</summary>
    public ScriptedTurn? DefaultTurn { get; }

    /// <summary>Reads a script file; YAML when the name ends in <c>.yaml</c> or <c>.yml</c>, JSON otherwise.</summary>
    /// <exception cref="FormatException">The file is not a valid script; the message lists every problem.</exception>
    public static ScriptedModelScript Load(string path)
    {
        var text = File.ReadAllText(path);
        var extension = Path.GetExtension(path);
        return extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase)
            ? ParseYaml(text)
            : ParseJson(text);
    }

    /// <summary>Reads a script from JSON text.</summary>
    /// <exception cref="FormatException">The text is not a valid script.</exception>
    public static ScriptedModelScript ParseJson(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new FormatException($"The script is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            return FromElement(document.RootElement);
        }
    }

    /// <summary>Reads a script from YAML text (the same structure as the JSON form).</summary>
    /// <exception cref="FormatException">The text is not a valid script.</exception>
    public static ScriptedModelScript ParseYaml(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"The script is not valid YAML: {e.Message}", e);
        }

        if (stream.Documents.Count == 0)
        {
            throw new FormatException("The script is empty.");
        }

        var json = ToJson(stream.Documents[0].RootNode)?.ToJsonString() ?? "null";
        using var document = JsonDocument.Parse(json);
        return FromElement(document.RootElement);
    }

    private static ScriptedModelScript FromElement(JsonElement root)
    {
        var errors = new List<string>();
        var turns = new List<ScriptedTurn>();
        ScriptedTurn? defaultTurn = null;

        if (root.ValueKind == JsonValueKind.Array)
        {
            ReadTurns(root, "turns", turns, errors);
        }
        else if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in root.EnumerateObject())
            {
                switch (Normalize(property.Name))
                {
                    case "turns":
                        ReadTurns(property.Value, "turns", turns, errors);
                        break;
                    case "defaultturn":
                        defaultTurn = ReadTurn(property.Value, "defaultTurn", errors);
                        break;
                    default:
                        errors.Add($"Unknown property '{property.Name}' (expected turns, defaultTurn).");
                        break;
                }
            }
        }
        else
        {
            errors.Add("A script is an object with 'turns' (and optionally 'defaultTurn'), or a list of turns.");
        }

        if (errors.Count > 0)
        {
            throw new FormatException("The script is not valid: " + string.Join(" ", errors));
        }

        return new ScriptedModelScript(turns, defaultTurn);
    }

    private static void ReadTurns(JsonElement value, string path, List<ScriptedTurn> turns, List<string> errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{path}: expected a list of turns.");
            return;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (ReadTurn(item, $"{path}[{i++}]", errors) is { } turn)
            {
                turns.Add(turn);
            }
        }
    }

    private static ScriptedTurn? ReadTurn(JsonElement value, string path, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            // A bare string is a text reply.
            return ScriptedTurn.Reply(value.GetString()!);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path}: expected a turn object or a string.");
            return null;
        }

        var turn = new ScriptedTurn();
        var before = errors.Count;
        foreach (var property in value.EnumerateObject())
        {
            var at = $"{path}.{property.Name}";
            var v = property.Value;
            switch (Normalize(property.Name))
            {
                case "text":
                    turn = turn with { Text = ReadString(v, at, errors) };
                    break;
                case "chunksize":
                    turn = turn with { ChunkSize = ReadInt(v, at, errors, min: 1) };
                    break;
                case "toolcalls":
                    turn = turn with { ToolCalls = ReadToolCalls(v, at, errors) };
                    break;
                case "inputtokens":
                    turn = turn with { InputTokens = ReadInt(v, at, errors, min: 0) };
                    break;
                case "outputtokens":
                    turn = turn with { OutputTokens = ReadInt(v, at, errors, min: 0) };
                    break;
                case "stopreason":
                    turn = turn with { StopReason = ReadEnum<ScriptedStopReason>(v, at, errors) };
                    break;
                case "fault":
                    turn = turn with { Fault = ReadFault(v, at, errors) };
                    break;
                case "firstbytelatencyms":
                    turn = turn with { FirstByteLatency = ReadInt(v, at, errors, min: 0) is { } fb ? TimeSpan.FromMilliseconds(fb) : null };
                    break;
                case "interchunklatencyms":
                    turn = turn with { InterChunkLatency = ReadInt(v, at, errors, min: 0) is { } ic ? TimeSpan.FromMilliseconds(ic) : null };
                    break;
                case "model":
                    turn = turn with { Model = ReadString(v, at, errors) };
                    break;
                case "format":
                    turn = turn with { Format = ReadEnum<WireFormat>(v, at, errors) };
                    break;
                default:
                    errors.Add($"{at}: unknown property (expected text, chunkSize, toolCalls, inputTokens, outputTokens, stopReason, fault, firstByteLatencyMs, interChunkLatencyMs, model, format).");
                    break;
            }
        }

        return errors.Count == before ? turn : null;
    }

    private static List<ScriptedToolCall> ReadToolCalls(JsonElement value, string path, List<string> errors)
    {
        var calls = new List<ScriptedToolCall>();
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{path}: expected a list of tool calls.");
            return calls;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{at}: expected an object with name and arguments.");
                continue;
            }

            string id = string.Empty, name = string.Empty, arguments = "{}";
            foreach (var property in item.EnumerateObject())
            {
                switch (Normalize(property.Name))
                {
                    case "id":
                        id = ReadString(property.Value, $"{at}.id", errors) ?? string.Empty;
                        break;
                    case "name":
                        name = ReadString(property.Value, $"{at}.name", errors) ?? string.Empty;
                        break;
                    case "arguments":
                        arguments = ReadArguments(property.Value, $"{at}.arguments", errors);
                        break;
                    default:
                        errors.Add($"{at}.{property.Name}: unknown property (expected id, name, arguments).");
                        break;
                }
            }

            if (name.Length == 0)
            {
                errors.Add($"{at}: a tool call needs a name.");
            }

            calls.Add(new ScriptedToolCall(id, name, arguments));
        }

        return calls;
    }

    // Arguments are written as an object, or as a string holding a JSON object.
    private static string ReadArguments(JsonElement value, string path, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            return value.GetRawText();
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            try
            {
                using var parsed = JsonDocument.Parse(text);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return text;
                }
            }
            catch (JsonException)
            {
                // Reported below.
            }
        }

        errors.Add($"{path}: expected a JSON object (or a string holding one).");
        return "{}";
    }

    private static ScriptedFault ReadFault(JsonElement value, string path, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            switch (Normalize(value.GetString()!))
            {
                case "none":
                    return ScriptedFault.None;
                case "hang":
                    return ScriptedFault.Hang;
                case "resetconnection":
                case "reset":
                    return ScriptedFault.ResetConnection;
                case "garbage":
                    return ScriptedFault.Garbage;
            }
        }
        else if (value.ValueKind == JsonValueKind.Object)
        {
            int? status = null, cut = null;
            string? retryAfter = null, message = null;
            foreach (var property in value.EnumerateObject())
            {
                var at = $"{path}.{property.Name}";
                switch (Normalize(property.Name))
                {
                    case "status":
                        status = ReadInt(property.Value, at, errors, min: 400);
                        break;
                    case "retryafter":
                        retryAfter = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetRawText() : ReadString(property.Value, at, errors);
                        break;
                    case "message":
                        message = ReadString(property.Value, at, errors);
                        break;
                    case "streamcutafter":
                        cut = ReadInt(property.Value, at, errors, min: 0);
                        break;
                    default:
                        errors.Add($"{at}: unknown property (expected status, retryAfter, message, or streamCutAfter).");
                        break;
                }
            }

            if (status is { } s && cut is null)
            {
                if (s > 599)
                {
                    errors.Add($"{path}.status: must be between 400 and 599.");
                    return ScriptedFault.None;
                }

                return ScriptedFault.Status(s, retryAfter, message);
            }

            if (cut is { } c && status is null)
            {
                return ScriptedFault.StreamCutAfter(c);
            }
        }

        errors.Add($"{path}: expected none, hang, resetConnection, garbage, {{status, retryAfter?, message?}} or {{streamCutAfter}}.");
        return ScriptedFault.None;
    }

    private static string? ReadString(JsonElement value, string path, List<string> errors)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        errors.Add($"{path}: expected a string.");
        return null;
    }

    private static int? ReadInt(JsonElement value, string path, List<string> errors, int min)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min)
        {
            return number;
        }

        errors.Add($"{path}: expected a whole number of at least {min}.");
        return null;
    }

    private static T? ReadEnum<T>(JsonElement value, string path, List<string> errors)
        where T : struct, Enum
    {
        if (value.ValueKind == JsonValueKind.String && Enum.TryParse<T>(Normalize(value.GetString()!), ignoreCase: true, out var parsed)
            && Enum.IsDefined(parsed))
        {
            return parsed;
        }

        errors.Add($"{path}: expected one of {string.Join(", ", Enum.GetNames<T>())}.");
        return null;
    }

    // Names and values are matched without case, '_' or '-' so endTurn, end_turn and EndTurn all work.
    private static string Normalize(string name) =>
        name.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    // YAML to JSON: plain scalars become numbers, booleans and null where they read as such; quoted ones stay strings.
    private static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    obj[((YamlScalarNode)key).Value ?? string.Empty] = ToJson(value);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(ToJson(item));
                }

                return array;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? string.Empty;
                if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
                {
                    return JsonValue.Create(text);
                }

                if (text is "" or "~" or "null" or "Null" or "NULL")
                {
                    return null;
                }

                if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
                {
                    return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
                }

                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                {
                    return JsonValue.Create(integer);
                }

                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
                {
                    return JsonValue.Create(real);
                }

                return JsonValue.Create(text);
            default:
                throw new FormatException($"Unsupported YAML node at {node.Start}.");
        }
    }
}
