using System.Text.Json;
using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>OpenAI Chat Completions bodies to Anthropic Messages bodies (requests) and Chat responses to Anthropic messages.</summary>
internal static class ChatToAnthropic
{
    /// <summary>Anthropic requires <c>max_tokens</c>; this is used when the client sent no limit.</summary>
    public const int DefaultMaxTokens = 4096;

    public static JsonObject Request(JsonObject chat)
    {
        RejectUnsupported(chat);
        var result = new JsonObject();
        JsonRead.CopyIfPresent(chat, result, "model");

        if (chat["messages"] is not JsonArray messages)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, "'messages' is required and must be an array.", "messages");
        }

        var system = new List<string>();
        var turns = new TurnList();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message)
            {
                throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"messages[{i}] must be an object.", $"messages[{i}]");
            }

            var role = JsonRead.String(message["role"]);
            switch (role)
            {
                case "system" or "developer":
                    if (JsonRead.Text(message["content"], "\n") is { Length: > 0 } text)
                    {
                        system.Add(text);
                    }

                    break;
                case "user":
                    turns.Add("user", message["content"], UserBlocks(message["content"], i));
                    break;
                case "assistant":
                    turns.Add("assistant", message["content"], AssistantBlocks(message, i));
                    break;
                case "tool":
                    turns.Add("user", null, [ToolResult(message, i)]);
                    break;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest,
                        $"messages[{i}].role '{role}' is not supported when this model is served through the Anthropic Messages API.",
                        $"messages[{i}].role");
            }
        }

        if (system.Count == 1)
        {
            result["system"] = system[0];
        }
        else if (system.Count > 1)
        {
            var blocks = new JsonArray();
            foreach (var text in system)
            {
                blocks.Add(new JsonObject { ["type"] = "text", ["text"] = text });
            }

            result["system"] = blocks;
        }

        result["messages"] = turns.ToJson();
        result["max_tokens"] = JsonRead.Long(chat["max_completion_tokens"]) ?? JsonRead.Long(chat["max_tokens"]) ?? DefaultMaxTokens;

        // OpenAI's temperature runs to 2, Anthropic's to 1.
        if (chat["temperature"] is JsonValue temperature && temperature.TryGetValue<double>(out var t))
        {
            result["temperature"] = Math.Min(t, 1.0);
        }

        JsonRead.CopyIfPresent(chat, result, "top_p");
        switch (chat["stop"])
        {
            case JsonValue stop when JsonRead.String(stop) is { } s:
                result["stop_sequences"] = new JsonArray(s);
                break;
            case JsonArray stops:
                result["stop_sequences"] = stops.DeepClone();
                break;
            default:
                break;
        }

        if (JsonRead.Bool(chat["stream"]) == true)
        {
            result["stream"] = true;
        }

        if (chat["tools"] is JsonArray { Count: > 0 } tools)
        {
            result["tools"] = Tools(tools);
        }

        if (ToolChoice(chat) is { } choice)
        {
            result["tool_choice"] = choice;
        }

        if (JsonRead.String(chat["user"]) is { } user)
        {
            result["metadata"] = new JsonObject { ["user_id"] = user };
        }

        return result;
    }

    public static JsonObject Response(JsonObject chat, string clientModel)
    {
        var choice = (chat["choices"] as JsonArray)?.FirstOrDefault() as JsonObject;
        var message = choice?["message"] as JsonObject;
        var content = new JsonArray();
        if (JsonRead.Text(message?["content"]) is { Length: > 0 } text)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        }

        if (JsonRead.String(message?["refusal"]) is { Length: > 0 } refusal)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = refusal });
        }

        if (message?["tool_calls"] is JsonArray toolCalls)
        {
            foreach (var call in toolCalls.OfType<JsonObject>())
            {
                content.Add(new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = JsonRead.String(call["id"]) ?? "",
                    ["name"] = JsonRead.String(call["function"]?["name"]) ?? "",
                    ["input"] = ParseArguments(JsonRead.String(call["function"]?["arguments"])) ?? new JsonObject(),

                    // Current SDKs require the caller of a tool_use block in responses; the model itself called it.
                    ["caller"] = new JsonObject { ["type"] = "direct" },
                });
            }
        }

        return new JsonObject
        {
            ["id"] = Ids.MessageId(JsonRead.String(chat["id"])),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = clientModel,
            ["content"] = content,
            ["stop_reason"] = StopReasons.ChatToAnthropic(JsonRead.String(choice?["finish_reason"])) ?? "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = Usage(chat["usage"] as JsonObject),
        };
    }

    /// <summary>Anthropic usage for an OpenAI usage object (whose prompt tokens include the cached ones).</summary>
    public static JsonObject Usage(JsonObject? usage)
    {
        var prompt = JsonRead.Long(usage?["prompt_tokens"]) ?? JsonRead.Long(usage?["input_tokens"]) ?? 0;
        var cached = JsonRead.Long(usage?["prompt_tokens_details"]?["cached_tokens"]) ?? JsonRead.Long(usage?["input_tokens_details"]?["cached_tokens"]) ?? 0;
        return new JsonObject
        {
            ["input_tokens"] = Math.Max(0, prompt - cached),
            ["cache_creation_input_tokens"] = 0,
            ["cache_read_input_tokens"] = cached,
            ["output_tokens"] = JsonRead.Long(usage?["completion_tokens"]) ?? JsonRead.Long(usage?["output_tokens"]) ?? 0,
        };
    }

    /// <summary>Tool-call arguments as an object; null when they are not a JSON object.</summary>
    public static JsonObject? ParseArguments(string? arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            return new JsonObject();
        }

        try
        {
            return JsonNode.Parse(arguments) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void RejectUnsupported(JsonObject chat)
    {
        if (JsonRead.Long(chat["n"]) is > 1)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, "'n' greater than 1 is not supported for this model.", "n");
        }

        if (JsonRead.String(chat["response_format"]?["type"]) is { } format && format != "text")
        {
            throw new ModelRequestException(
                ModelErrorKind.InvalidRequest, $"response_format '{format}' is not supported for this model.", "response_format");
        }

        if (chat["audio"] is not null || (chat["modalities"] as JsonArray)?.Any(m => JsonRead.String(m) == "audio") == true)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, "Audio output is not supported for this model.", "modalities");
        }

        if (chat["functions"] is not null || chat["function_call"] is not null)
        {
            throw new ModelRequestException(
                ModelErrorKind.InvalidRequest, "The deprecated 'functions' parameter is not supported for this model; use 'tools'.", "functions");
        }
    }

    private static List<JsonNode> UserBlocks(JsonNode? content, int index)
    {
        var blocks = new List<JsonNode>();
        if (JsonRead.String(content) is { } text)
        {
            if (text.Length > 0)
            {
                blocks.Add(TextBlock(text));
            }

            return blocks;
        }

        if (content is not JsonArray parts)
        {
            return blocks;
        }

        for (var j = 0; j < parts.Count; j++)
        {
            var part = parts[j] as JsonObject;
            switch (JsonRead.String(part?["type"]))
            {
                case "text":
                    if (JsonRead.String(part!["text"]) is { Length: > 0 } partText)
                    {
                        blocks.Add(TextBlock(partText));
                    }

                    break;
                case "image_url":
                    var url = JsonRead.String(part!["image_url"]?["url"]) ?? JsonRead.String(part["image_url"]);
                    if (url is null)
                    {
                        throw new ModelRequestException(
                            ModelErrorKind.InvalidRequest, $"messages[{index}].content[{j}].image_url.url is required.", $"messages[{index}].content[{j}]");
                    }

                    blocks.Add(ImageBlock(url, $"messages[{index}].content[{j}]"));
                    break;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest,
                        $"Content part type '{JsonRead.String(part?["type"])}' is not supported for this model.",
                        $"messages[{index}].content[{j}]");
            }
        }

        return blocks;
    }

    private static List<JsonNode> AssistantBlocks(JsonObject message, int index)
    {
        var blocks = new List<JsonNode>();
        var content = message["content"];
        if (JsonRead.String(content) is { Length: > 0 } text)
        {
            blocks.Add(TextBlock(text));
        }
        else if (content is JsonArray parts)
        {
            foreach (var part in parts.OfType<JsonObject>())
            {
                if ((JsonRead.String(part["text"]) ?? JsonRead.String(part["refusal"])) is { Length: > 0 } partText)
                {
                    blocks.Add(TextBlock(partText));
                }
            }
        }

        if (message["tool_calls"] is JsonArray calls)
        {
            for (var j = 0; j < calls.Count; j++)
            {
                var call = calls[j] as JsonObject;
                var param = $"messages[{index}].tool_calls[{j}]";
                var arguments = JsonRead.String(call?["function"]?["arguments"]);
                var input = ParseArguments(arguments) ?? throw new ModelRequestException(
                    ModelErrorKind.InvalidRequest, $"{param}.function.arguments must be a JSON object.", param + ".function.arguments");
                blocks.Add(new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = JsonRead.String(call?["id"]) ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"{param}.id is required.", param + ".id"),
                    ["name"] = JsonRead.String(call?["function"]?["name"]) ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"{param}.function.name is required.", param + ".function.name"),
                    ["input"] = input,
                });
            }
        }

        return blocks;
    }

    private static JsonObject ToolResult(JsonObject message, int index)
    {
        var id = JsonRead.String(message["tool_call_id"])
            ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"messages[{index}].tool_call_id is required.", $"messages[{index}].tool_call_id");
        var result = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id };
        var content = message["content"];
        if (JsonRead.String(content) is { } text)
        {
            result["content"] = text;
        }
        else if (content is JsonArray parts)
        {
            var blocks = new JsonArray();
            foreach (var part in parts.OfType<JsonObject>())
            {
                if (JsonRead.String(part["text"]) is { Length: > 0 } partText)
                {
                    blocks.Add(TextBlock(partText));
                }
            }

            result["content"] = blocks;
        }

        return result;
    }

    private static JsonObject TextBlock(string text) => new() { ["type"] = "text", ["text"] = text };

    /// <summary>An Anthropic image block for an OpenAI image URL (a <c>data:</c> URL becomes a base64 source).</summary>
    public static JsonObject ImageBlock(string url, string param)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var header = comma > 5 ? url[5..comma] : "";
            if (comma < 0 || !header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelRequestException(ModelErrorKind.InvalidRequest, "Image data URLs must be base64-encoded.", param);
            }

            return new JsonObject
            {
                ["type"] = "image",
                ["source"] = new JsonObject
                {
                    ["type"] = "base64",
                    ["media_type"] = header[..^";base64".Length],
                    ["data"] = url[(comma + 1)..],
                },
            };
        }

        return new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "url", ["url"] = url } };
    }

    private static JsonArray Tools(JsonArray tools)
    {
        var result = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i] as JsonObject;
            var function = tool?["function"] as JsonObject;
            if (JsonRead.String(tool?["type"]) != "function" || function is null)
            {
                throw new ModelRequestException(
                    ModelErrorKind.InvalidRequest, $"tools[{i}]: only function tools are supported for this model.", $"tools[{i}]");
            }

            var converted = new JsonObject { ["name"] = JsonRead.String(function["name"]) ?? "" };
            if (JsonRead.String(function["description"]) is { } description)
            {
                converted["description"] = description;
            }

            converted["input_schema"] = function["parameters"]?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
            result.Add(converted);
        }

        return result;
    }

    private static JsonObject? ToolChoice(JsonObject chat)
    {
        var choice = chat["tool_choice"];
        JsonObject? result = JsonRead.String(choice) switch
        {
            "auto" => new JsonObject { ["type"] = "auto" },
            "none" => new JsonObject { ["type"] = "none" },
            "required" => new JsonObject { ["type"] = "any" },
            _ when JsonRead.String(choice?["function"]?["name"]) is { } name => new JsonObject { ["type"] = "tool", ["name"] = name },
            _ => null,
        };

        if (JsonRead.Bool(chat["parallel_tool_calls"]) == false && chat["tools"] is JsonArray { Count: > 0 })
        {
            result ??= new JsonObject { ["type"] = "auto" };
            if (JsonRead.String(result["type"]) != "none")
            {
                result["disable_parallel_tool_use"] = true;
            }
        }

        return result;
    }
}
