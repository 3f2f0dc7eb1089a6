using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>Chat Completions bodies to OpenAI Responses bodies (requests) and Chat responses to Responses results.</summary>
internal static class ChatToResponses
{
    public static JsonObject Request(JsonObject chat)
    {
        if (JsonRead.Long(chat["n"]) is > 1)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, "'n' greater than 1 is not supported for this model.", "n");
        }

        if (chat["stop"] is not null)
        {
            throw new ModelRequestException(ModelErrorKind.InvalidRequest, "'stop' is not supported for this model.", "stop");
        }

        var result = new JsonObject();
        JsonRead.CopyIfPresent(chat, result, "model");
        var input = new JsonArray();
        var messages = chat["messages"] as JsonArray
            ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, "'messages' is required and must be an array.", "messages");
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] as JsonObject
                ?? throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"messages[{i}] must be an object.", $"messages[{i}]");
            var role = JsonRead.String(message["role"]);
            switch (role)
            {
                case "system" or "developer" or "user":
                    input.Add(new JsonObject { ["type"] = "message", ["role"] = role, ["content"] = InputContent(message["content"], i) });
                    break;
                case "assistant":
                    if (JsonRead.Text(message["content"]) is { Length: > 0 } text)
                    {
                        input.Add(new JsonObject
                        {
                            ["type"] = "message",
                            ["role"] = "assistant",
                            ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text }),
                        });
                    }

                    foreach (var call in (message["tool_calls"] as JsonArray)?.OfType<JsonObject>() ?? [])
                    {
                        input.Add(new JsonObject
                        {
                            ["type"] = "function_call",
                            ["call_id"] = JsonRead.String(call["id"]) ?? "",
                            ["name"] = JsonRead.String(call["function"]?["name"]) ?? "",
                            ["arguments"] = JsonRead.String(call["function"]?["arguments"]) ?? "{}",
                        });
                    }

                    break;
                case "tool":
                    input.Add(new JsonObject
                    {
                        ["type"] = "function_call_output",
                        ["call_id"] = JsonRead.String(message["tool_call_id"]) ?? "",
                        ["output"] = JsonRead.Text(message["content"], "\n") ?? "",
                    });
                    break;
                default:
                    throw new ModelRequestException(ModelErrorKind.InvalidRequest, $"messages[{i}].role '{role}' is not supported.", $"messages[{i}].role");
            }
        }

        result["input"] = input;
        if ((chat["max_completion_tokens"] ?? chat["max_tokens"]) is { } max)
        {
            result["max_output_tokens"] = max.DeepClone();
        }

        JsonRead.CopyIfPresent(chat, result, "temperature");
        JsonRead.CopyIfPresent(chat, result, "top_p");
        JsonRead.CopyIfPresent(chat, result, "parallel_tool_calls");
        JsonRead.CopyIfPresent(chat, result, "user");
        JsonRead.CopyIfPresent(chat, result, "stream");
        if (JsonRead.String(chat["reasoning_effort"]) is { } effort)
        {
            result["reasoning"] = new JsonObject { ["effort"] = effort };
        }

        // The client asked a stateless API; do not have the upstream keep the conversation.
        result["store"] = false;
        if (chat["tools"] is JsonArray { Count: > 0 } tools)
        {
            var converted = new JsonArray();
            foreach (var tool in tools.OfType<JsonObject>())
            {
                var function = tool["function"] as JsonObject ?? [];
                var flat = new JsonObject { ["type"] = "function", ["name"] = JsonRead.String(function["name"]) ?? "" };
                JsonRead.CopyIfPresent(function, flat, "description");
                JsonRead.CopyIfPresent(function, flat, "parameters");
                JsonRead.CopyIfPresent(function, flat, "strict");
                converted.Add(flat);
            }

            result["tools"] = converted;
        }

        var choice = chat["tool_choice"];
        if (JsonRead.String(choice) is { } simple)
        {
            result["tool_choice"] = simple;
        }
        else if (JsonRead.String(choice?["function"]?["name"]) is { } name)
        {
            result["tool_choice"] = new JsonObject { ["type"] = "function", ["name"] = name };
        }

        if (chat["response_format"] is JsonObject format)
        {
            switch (JsonRead.String(format["type"]))
            {
                case "json_object":
                    result["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "json_object" } };
                    break;
                case "json_schema" when format["json_schema"] is JsonObject schema:
                    var converted = (JsonObject)schema.DeepClone();
                    converted["type"] = "json_schema";
                    result["text"] = new JsonObject { ["format"] = converted };
                    break;
                default:
                    break;
            }
        }

        return result;
    }

    public static JsonObject Response(JsonObject chat, string clientModel)
    {
        var choice = (chat["choices"] as JsonArray)?.FirstOrDefault() as JsonObject;
        var message = choice?["message"] as JsonObject;
        var responseId = Ids.ResponseId(JsonRead.String(chat["id"]));
        var output = new JsonArray();
        var text = JsonRead.Text(message?["content"]);
        var refusal = JsonRead.String(message?["refusal"]);
        if (!string.IsNullOrEmpty(text) || !string.IsNullOrEmpty(refusal))
        {
            var content = new JsonArray();
            if (!string.IsNullOrEmpty(text))
            {
                content.Add(OutputText(text));
            }

            if (!string.IsNullOrEmpty(refusal))
            {
                content.Add(new JsonObject { ["type"] = "refusal", ["refusal"] = refusal });
            }

            output.Add(MessageItem(Ids.MessageId(JsonRead.String(chat["id"])), "completed", content));
        }

        foreach (var call in (message?["tool_calls"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var callId = JsonRead.String(call["id"]) ?? "";
            output.Add(FunctionCallItem(
                Ids.FunctionCallItemId(callId), callId, JsonRead.String(call["function"]?["name"]) ?? "", JsonRead.String(call["function"]?["arguments"]) ?? "{}", "completed"));
        }

        var (status, reason) = StopReasons.ChatToResponses(JsonRead.String(choice?["finish_reason"]));
        var created = JsonRead.Long(chat["created"]) ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return ResponseObject(responseId, created, clientModel, status, reason, output, Usage(chat["usage"] as JsonObject));
    }

    /// <summary>Responses usage for a Chat usage object; null when there is none.</summary>
    public static JsonObject? Usage(JsonObject? usage)
    {
        if (usage is null)
        {
            return null;
        }

        var input = JsonRead.Long(usage["prompt_tokens"]) ?? 0;
        var output = JsonRead.Long(usage["completion_tokens"]) ?? 0;
        return new JsonObject
        {
            ["input_tokens"] = input,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = JsonRead.Long(usage["prompt_tokens_details"]?["cached_tokens"]) ?? 0 },
            ["output_tokens"] = output,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = JsonRead.Long(usage["completion_tokens_details"]?["reasoning_tokens"]) ?? 0 },
            ["total_tokens"] = input + output,
        };
    }

    public static JsonObject OutputText(string text) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray(),
        ["logprobs"] = new JsonArray(),
    };

    public static JsonObject MessageItem(string id, string status, JsonArray content) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["status"] = status,
        ["role"] = "assistant",
        ["content"] = content,
    };

    public static JsonObject FunctionCallItem(string id, string callId, string name, string arguments, string status) => new()
    {
        ["id"] = id,
        ["type"] = "function_call",
        ["status"] = status,
        ["arguments"] = arguments,
        ["call_id"] = callId,
        ["name"] = name,
    };

    /// <summary>A whole Responses result object, with the fields the official SDKs require.</summary>
    public static JsonObject ResponseObject(
        string id, long createdAt, string model, string status, string? incompleteReason, JsonArray output, JsonObject? usage) => new()
    {
        ["id"] = id,
        ["object"] = "response",
        ["created_at"] = createdAt,
        ["status"] = status,
        ["error"] = null,
        ["incomplete_details"] = incompleteReason is null ? null : new JsonObject { ["reason"] = incompleteReason },
        ["instructions"] = null,
        ["max_output_tokens"] = null,
        ["model"] = model,
        ["output"] = output,
        ["parallel_tool_calls"] = true,
        ["previous_response_id"] = null,
        ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
        ["store"] = false,
        ["temperature"] = null,
        ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
        ["tool_choice"] = "auto",
        ["tools"] = new JsonArray(),
        ["top_p"] = null,
        ["truncation"] = "disabled",
        ["usage"] = usage,
        ["user"] = null,
        ["metadata"] = new JsonObject(),
    };

    private static JsonNode InputContent(JsonNode? content, int index)
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
                case "text":
                    parts.Add(new JsonObject { ["type"] = "input_text", ["text"] = JsonRead.String(part!["text"]) ?? "" });
                    break;
                case "image_url":
                    parts.Add(new JsonObject
                    {
                        ["type"] = "input_image",
                        ["image_url"] = JsonRead.String(part!["image_url"]?["url"]) ?? JsonRead.String(part["image_url"]),
                        ["detail"] = JsonRead.String(part["image_url"]?["detail"]) ?? "auto",
                    });
                    break;
                default:
                    throw new ModelRequestException(
                        ModelErrorKind.InvalidRequest,
                        $"Content part type '{JsonRead.String(part?["type"])}' is not supported for this model.",
                        $"messages[{index}].content[{j}]");
            }
        }

        return parts;
    }
}
