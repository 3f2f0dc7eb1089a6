using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>Anthropic Messages bodies to OpenAI Chat Completions bodies (requests) and Anthropic messages to Chat responses.</summary>
internal static class AnthropicToChat
{
    public static JsonObject Request(JsonObject anthropic)
    {
        var result = new JsonObject();
        JsonRead.CopyIfPresent(anthropic, result, "model");
        var messages = new JsonArray();
        if (JsonRead.Text(anthropic["system"], "\n\n") is { Length: > 0 } system)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        }

        if (anthropic["messages"] is not JsonArray source)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, "messages: Field required", "messages");
        }

        for (var i = 0; i < source.Count; i++)
        {
            var message = source[i] as JsonObject
                ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"messages.{i}: must be an object", $"messages.{i}");
            var role = JsonRead.String(message["role"]);
            switch (role)
            {
                case "user":
                    AddUser(messages, message["content"], i);
                    break;
                case "assistant":
                    AddAssistant(messages, message["content"]);
                    break;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest, $"messages.{i}.role: Input should be 'user' or 'assistant'", $"messages.{i}.role");
            }
        }

        result["messages"] = messages;
        if (JsonRead.Long(anthropic["max_tokens"]) is { } maxTokens)
        {
            result["max_completion_tokens"] = maxTokens;
        }

        JsonRead.CopyIfPresent(anthropic, result, "temperature");
        JsonRead.CopyIfPresent(anthropic, result, "top_p");
        JsonRead.CopyIfPresent(anthropic, result, "stop_sequences", "stop");
        if (JsonRead.Bool(anthropic["stream"]) == true)
        {
            result["stream"] = true;
            result["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (anthropic["tools"] is JsonArray { Count: > 0 } tools)
        {
            result["tools"] = Tools(tools);
        }

        if (anthropic["tool_choice"] is JsonObject choice)
        {
            switch (JsonRead.String(choice["type"]))
            {
                case "auto":
                    result["tool_choice"] = "auto";
                    break;
                case "any":
                    result["tool_choice"] = "required";
                    break;
                case "none":
                    result["tool_choice"] = "none";
                    break;
                case "tool":
                    result["tool_choice"] = new JsonObject
                    {
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = JsonRead.String(choice["name"]) ?? "" },
                    };
                    break;
                default:
                    break;
            }

            if (JsonRead.Bool(choice["disable_parallel_tool_use"]) == true)
            {
                result["parallel_tool_calls"] = false;
            }
        }

        if (JsonRead.String(anthropic["metadata"]?["user_id"]) is { } user)
        {
            result["user"] = user;
        }

        return result;
    }

    public static JsonObject Response(JsonObject anthropic, string clientModel)
    {
        var message = AssistantMessage(anthropic["content"]);
        message["refusal"] = null;

        var result = new JsonObject
        {
            ["id"] = Ids.ChatId(JsonRead.String(anthropic["id"])),
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = clientModel,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = StopReasons.AnthropicToChat(JsonRead.String(anthropic["stop_reason"])) ?? "stop",
            }),
        };
        if (anthropic["usage"] is JsonObject usage)
        {
            result["usage"] = Usage(usage);
        }

        return result;
    }

    /// <summary>OpenAI usage for an Anthropic usage object: prompt tokens include cache reads and writes.</summary>
    public static JsonObject Usage(JsonObject usage) =>
        Usage(
            JsonRead.Long(usage["input_tokens"]) ?? 0,
            JsonRead.Long(usage["cache_read_input_tokens"]) ?? 0,
            JsonRead.Long(usage["cache_creation_input_tokens"]) ?? 0,
            JsonRead.Long(usage["output_tokens"]) ?? 0);

    public static JsonObject Usage(long input, long cacheRead, long cacheWrite, long output)
    {
        var prompt = input + cacheRead + cacheWrite;
        return new JsonObject
        {
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = output,
            ["total_tokens"] = prompt + output,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cacheRead },
        };
    }

    private static JsonObject ToolCall(JsonObject block) => new()
    {
        ["id"] = JsonRead.String(block["id"]) ?? "",
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = JsonRead.String(block["name"]) ?? "",
            ["arguments"] = block["input"]?.ToJsonString() ?? "{}",
        },
    };

    private static void AddUser(JsonArray messages, JsonNode? content, int index)
    {
        if (JsonRead.String(content) is { } text)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = text });
            return;
        }

        if (content is not JsonArray blocks)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"messages.{index}.content: Field required", $"messages.{index}.content");
        }

        // Tool results become tool messages, which must follow the assistant's tool calls directly; the rest of the
        // turn (and any images a tool returned, which tool messages cannot carry) follows as one user message.
        var parts = new JsonArray();
        for (var j = 0; j < blocks.Count; j++)
        {
            var block = blocks[j] as JsonObject;
            var param = $"messages.{index}.content.{j}";
            switch (JsonRead.String(block?["type"]))
            {
                case "text":
                    parts.Add(new JsonObject { ["type"] = "text", ["text"] = JsonRead.String(block!["text"]) ?? "" });
                    break;
                case "image":
                    parts.Add(ImagePart(block!, param));
                    break;
                case "tool_result":
                    messages.Add(ToolMessage(block!, parts, param));
                    break;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest,
                        $"Content block type '{JsonRead.String(block?["type"])}' is not supported for this model.",
                        param);
            }
        }

        if (parts.Count == 1 && JsonRead.String(parts[0]!["type"]) == "text")
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = JsonRead.String(parts[0]!["text"]) });
        }
        else if (parts.Count > 0)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = parts });
        }
    }

    private static JsonObject ToolMessage(JsonObject block, JsonArray followingParts, string param)
    {
        var content = block["content"];
        string text;
        if (JsonRead.String(content) is { } s)
        {
            text = s;
        }
        else
        {
            var texts = new List<string>();
            if (content is JsonArray inner)
            {
                for (var k = 0; k < inner.Count; k++)
                {
                    if (inner[k] is not JsonObject part)
                    {
                        continue;
                    }

                    if (JsonRead.String(part["type"]) == "image")
                    {
                        followingParts.Add(ImagePart(part, $"{param}.content.{k}"));
                    }
                    else if (JsonRead.String(part["text"]) is { } partText)
                    {
                        texts.Add(partText);
                    }
                }
            }

            text = string.Join("\n", texts);
        }

        if (JsonRead.Bool(block["is_error"]) == true)
        {
            text = "Error: " + text;
        }

        return new JsonObject
        {
            ["role"] = "tool",
            ["tool_call_id"] = JsonRead.String(block["tool_use_id"]) ?? "",
            ["content"] = text,
        };
    }

    private static JsonObject ImagePart(JsonObject block, string param)
    {
        var source = block["source"] as JsonObject;
        var url = JsonRead.String(source?["type"]) switch
        {
            "base64" => $"data:{JsonRead.String(source!["media_type"])};base64,{JsonRead.String(source["data"])}",
            "url" => JsonRead.String(source!["url"]),
            _ => null,
        } ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, "Only base64 and URL image sources are supported for this model.", param);
        return new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } };
    }

    private static void AddAssistant(JsonArray messages, JsonNode? content)
    {
        if (JsonRead.String(content) is { } plain)
        {
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = plain });
            return;
        }

        messages.Add(AssistantMessage(content));
    }

    /// <summary>An assistant chat message for Anthropic content blocks: text joined, tool_use blocks as tool calls.</summary>
    private static JsonObject AssistantMessage(JsonNode? content)
    {
        string? text = null;
        var toolCalls = new JsonArray();
        foreach (var block in (content as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            switch (JsonRead.String(block["type"]))
            {
                case "text":
                    text += JsonRead.String(block["text"]);
                    break;
                case "tool_use":
                    toolCalls.Add(ToolCall(block));
                    break;
                default:
                    // Thinking blocks carry provider-specific signatures that other providers cannot use.
                    break;
            }
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = toolCalls;
        }

        return message;
    }

    private static JsonArray Tools(JsonArray tools)
    {
        var result = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i] as JsonObject;
            var type = JsonRead.String(tool?["type"]);
            if (tool is null || (type is not null && type != "custom") || tool["input_schema"] is null)
            {
                throw new ModelRequestException(
                    ModelErrorKind.InvalidRequest,
                    $"tools.{i}: the server tool '{type}' is not supported for this model; only custom tools with an input_schema are.",
                    $"tools.{i}");
            }

            var function = new JsonObject { ["name"] = JsonRead.String(tool["name"]) ?? "" };
            if (JsonRead.String(tool["description"]) is { } description)
            {
                function["description"] = description;
            }

            function["parameters"] = tool["input_schema"]!.DeepClone();
            result.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }

        return result;
    }
}
