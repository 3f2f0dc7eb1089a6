using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>OpenAI Responses bodies to Chat Completions bodies (requests) and Responses results to Chat responses.</summary>
internal static class ResponsesToChat
{
    public static JsonObject Request(JsonObject responses)
    {
        if (responses["previous_response_id"] is not null || responses["conversation"] is not null)
        {
            throw new ModelRequestException(
                ModelErrorKind.InvalidRequest,
                "Stored conversation state (previous_response_id, conversation) is not supported for this model; send the whole input.",
                "previous_response_id");
        }

        var result = new JsonObject();
        JsonRead.CopyIfPresent(responses, result, "model");
        var messages = new JsonArray();
        if (JsonRead.String(responses["instructions"]) is { Length: > 0 } instructions)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = instructions });
        }

        switch (responses["input"])
        {
            case JsonValue value when JsonRead.String(value) is { } text:
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = text });
                break;
            case JsonArray items:
                AddItems(messages, items);
                break;
            default:
                throw new ModelRequestException(ModelErrorKind.InvalidRequest, "'input' is required.", "input");
        }

        result["messages"] = messages;
        JsonRead.CopyIfPresent(responses, result, "max_output_tokens", "max_completion_tokens");
        JsonRead.CopyIfPresent(responses, result, "temperature");
        JsonRead.CopyIfPresent(responses, result, "top_p");
        JsonRead.CopyIfPresent(responses, result, "parallel_tool_calls");
        JsonRead.CopyIfPresent(responses, result, "user");
        if (JsonRead.String(responses["reasoning"]?["effort"]) is { } effort)
        {
            result["reasoning_effort"] = effort;
        }

        if (JsonRead.Bool(responses["stream"]) == true)
        {
            result["stream"] = true;
            result["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (responses["tools"] is JsonArray { Count: > 0 } tools)
        {
            result["tools"] = Tools(tools);
        }

        var choice = responses["tool_choice"];
        if (JsonRead.String(choice) is { } simpleChoice)
        {
            result["tool_choice"] = simpleChoice;
        }
        else if (choice is JsonObject choiceObject && JsonRead.String(choiceObject["type"]) == "function")
        {
            result["tool_choice"] = new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = JsonRead.String(choiceObject["name"]) ?? "" },
            };
        }

        if (responses["text"]?["format"] is JsonObject format)
        {
            switch (JsonRead.String(format["type"]))
            {
                case "json_object":
                    result["response_format"] = new JsonObject { ["type"] = "json_object" };
                    break;
                case "json_schema":
                    var schema = new JsonObject { ["name"] = JsonRead.String(format["name"]) ?? "response" };
                    JsonRead.CopyIfPresent(format, schema, "description");
                    JsonRead.CopyIfPresent(format, schema, "schema");
                    JsonRead.CopyIfPresent(format, schema, "strict");
                    result["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = schema };
                    break;
                default:
                    break;
            }
        }

        return result;
    }

    public static JsonObject Response(JsonObject responses, string clientModel)
    {
        string? text = null;
        string? refusal = null;
        var toolCalls = new JsonArray();
        foreach (var item in (responses["output"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            switch (JsonRead.String(item["type"]))
            {
                case "message":
                    foreach (var part in (item["content"] as JsonArray)?.OfType<JsonObject>() ?? [])
                    {
                        if (JsonRead.String(part["type"]) == "refusal")
                        {
                            refusal += JsonRead.String(part["refusal"]);
                        }
                        else
                        {
                            text += JsonRead.String(part["text"]);
                        }
                    }

                    break;
                case "function_call":
                    toolCalls.Add(new JsonObject
                    {
                        ["id"] = JsonRead.String(item["call_id"]) ?? "",
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = JsonRead.String(item["name"]) ?? "",
                            ["arguments"] = JsonRead.String(item["arguments"]) ?? "{}",
                        },
                    });
                    break;
                default:
                    break;
            }
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text, ["refusal"] = refusal };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = toolCalls;
        }

        var finish = StopReasons.ResponsesToChat(
            JsonRead.String(responses["status"]), JsonRead.String(responses["incomplete_details"]?["reason"]), toolCalls.Count > 0);
        var result = new JsonObject
        {
            ["id"] = Ids.ChatId(JsonRead.String(responses["id"])),
            ["object"] = "chat.completion",
            ["created"] = JsonRead.Long(responses["created_at"]) ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = clientModel,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = finish,
            }),
        };
        if (responses["usage"] is JsonObject usage)
        {
            result["usage"] = Usage(usage);
        }

        return result;
    }

    /// <summary>Chat usage for a Responses usage object.</summary>
    public static JsonObject Usage(JsonObject usage)
    {
        var input = JsonRead.Long(usage["input_tokens"]) ?? 0;
        var output = JsonRead.Long(usage["output_tokens"]) ?? 0;
        return new JsonObject
        {
            ["prompt_tokens"] = input,
            ["completion_tokens"] = output,
            ["total_tokens"] = input + output,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = JsonRead.Long(usage["input_tokens_details"]?["cached_tokens"]) ?? 0 },
            ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = JsonRead.Long(usage["output_tokens_details"]?["reasoning_tokens"]) ?? 0 },
        };
    }

    private static void AddItems(JsonArray messages, JsonArray items)
    {
        JsonObject? pendingAssistant = null;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] as JsonObject
                ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"input[{i}] must be an object.", $"input[{i}]");
            var type = JsonRead.String(item["type"]) ?? (item["role"] is not null ? "message" : null);
            switch (type)
            {
                case "message":
                    var role = JsonRead.String(item["role"]);
                    if (role == "assistant")
                    {
                        // Text and the function calls after it form one assistant message.
                        pendingAssistant = new JsonObject { ["role"] = "assistant", ["content"] = JsonRead.Text(item["content"]) };
                        messages.Add(pendingAssistant);
                        continue;
                    }

                    if (role is not ("user" or "system" or "developer"))
                    {
                        throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"input[{i}].role '{role}' is not supported.", $"input[{i}].role");
                    }

                    messages.Add(new JsonObject { ["role"] = role, ["content"] = UserContent(item["content"], i) });
                    break;
                case "function_call":
                    if (pendingAssistant is null)
                    {
                        pendingAssistant = new JsonObject { ["role"] = "assistant", ["content"] = null };
                        messages.Add(pendingAssistant);
                    }

                    if (pendingAssistant["tool_calls"] is not JsonArray calls)
                    {
                        pendingAssistant["tool_calls"] = calls = [];
                    }

                    calls.Add(new JsonObject
                    {
                        ["id"] = JsonRead.String(item["call_id"]) ?? "",
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = JsonRead.String(item["name"]) ?? "",
                            ["arguments"] = JsonRead.String(item["arguments"]) ?? "{}",
                        },
                    });
                    continue;
                case "function_call_output":
                    var output = item["output"];
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = JsonRead.String(item["call_id"]) ?? "",
                        ["content"] = JsonRead.Text(output, "\n") ?? output?.ToJsonString() ?? "",
                    });
                    break;
                case "reasoning":
                    // Reasoning items are encrypted or summarised for OpenAI's own use; nothing to carry over.
                    continue;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest, $"input[{i}]: item type '{type}' is not supported for this model.", $"input[{i}]");
            }

            pendingAssistant = null;
        }
    }

    private static JsonNode? UserContent(JsonNode? content, int index)
    {
        if (JsonRead.String(content) is { } text)
        {
            return text;
        }

        var parts = new JsonArray();
        var list = content as JsonArray ?? [];
        for (var j = 0; j < list.Count; j++)
        {
            var part = list[j] as JsonObject;
            switch (JsonRead.String(part?["type"]))
            {
                case "input_text" or "output_text" or "text":
                    parts.Add(new JsonObject { ["type"] = "text", ["text"] = JsonRead.String(part!["text"]) ?? "" });
                    break;
                case "input_image" when JsonRead.String(part!["image_url"]) is { } url:
                    var image = new JsonObject { ["url"] = url };
                    JsonRead.CopyIfPresent(part, image, "detail");
                    parts.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = image });
                    break;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest,
                        $"input[{index}].content[{j}]: content type '{JsonRead.String(part?["type"])}' is not supported for this model.",
                        $"input[{index}].content[{j}]");
            }
        }

        return parts;
    }

    private static JsonArray Tools(JsonArray tools)
    {
        var result = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i] as JsonObject;
            if (JsonRead.String(tool?["type"]) != "function")
            {
                throw new ModelRequestException(
                    ModelErrorKind.InvalidRequest,
                    $"tools[{i}]: the built-in tool '{JsonRead.String(tool?["type"])}' is not supported for this model; only function tools are.",
                    $"tools[{i}]");
            }

            var function = new JsonObject { ["name"] = JsonRead.String(tool!["name"]) ?? "" };
            JsonRead.CopyIfPresent(tool, function, "description");
            JsonRead.CopyIfPresent(tool, function, "parameters");
            JsonRead.CopyIfPresent(tool, function, "strict");
            result.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }

        return result;
    }
}
