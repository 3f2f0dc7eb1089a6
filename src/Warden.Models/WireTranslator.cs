using System.Text.Json.Nodes;
using Warden.Models.Translation;

namespace Warden.Models;

/// <summary>
/// Translates requests, responses and streams between wire formats. Supported pairs: OpenAI Chat and Anthropic
/// Messages, OpenAI Responses and Chat, and Responses and Anthropic (through Chat). Embeddings translate to nothing
/// else. The same format in and out costs nothing: the body is returned as is. A request that uses a feature the
/// target format lacks throws <see cref="ModelRequestException"/> with a message for the API caller. Translation
/// builds new objects and leaves its input unchanged.
/// </summary>
public static class WireTranslator
{
    /// <summary>
    /// A request in <paramref name="from"/> re-expressed in <paramref name="to"/>; the same instance when they are
    /// equal. Notes: Anthropic gets <c>max_tokens</c> 4096 when the client set no limit and temperatures above 1
    /// are lowered to 1; Chat requests made from Anthropic or Responses requests ask for streamed usage
    /// (<c>stream_options.include_usage</c>) and use <c>max_completion_tokens</c>.
    /// </summary>
    public static JsonObject TranslateRequest(WireFormat from, WireFormat to, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return (from, to) switch
        {
            _ when from == to => body,
            (WireFormat.OpenAIChat, WireFormat.AnthropicMessages) => ChatToAnthropic.Request(body),
            (WireFormat.AnthropicMessages, WireFormat.OpenAIChat) => AnthropicToChat.Request(body),
            (WireFormat.OpenAIResponses, WireFormat.OpenAIChat) => ResponsesToChat.Request(body),
            (WireFormat.OpenAIChat, WireFormat.OpenAIResponses) => ChatToResponses.Request(body),
            (WireFormat.OpenAIResponses, WireFormat.AnthropicMessages) => ChatToAnthropic.Request(ResponsesToChat.Request(body)),
            (WireFormat.AnthropicMessages, WireFormat.OpenAIResponses) => ChatToResponses.Request(AnthropicToChat.Request(body)),
            _ => throw Unsupported(from, to),
        };
    }

    /// <summary>
    /// A non-streaming upstream response in <paramref name="from"/> re-expressed for a client of
    /// <paramref name="to"/>, naming <paramref name="clientModel"/> as the model; the same instance when the formats
    /// are equal. Ids are derived from the upstream id (<c>msg_X</c> becomes <c>chatcmpl-X</c> and back).
    /// </summary>
    public static JsonObject TranslateResponse(WireFormat from, WireFormat to, JsonObject body, string clientModel)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(clientModel);
        return (from, to) switch
        {
            _ when from == to => body,
            (WireFormat.AnthropicMessages, WireFormat.OpenAIChat) => AnthropicToChat.Response(body, clientModel),
            (WireFormat.OpenAIChat, WireFormat.AnthropicMessages) => ChatToAnthropic.Response(body, clientModel),
            (WireFormat.OpenAIChat, WireFormat.OpenAIResponses) => ChatToResponses.Response(body, clientModel),
            (WireFormat.OpenAIResponses, WireFormat.OpenAIChat) => ResponsesToChat.Response(body, clientModel),
            (WireFormat.AnthropicMessages, WireFormat.OpenAIResponses) => ChatToResponses.Response(AnthropicToChat.Response(body, clientModel), clientModel),
            (WireFormat.OpenAIResponses, WireFormat.AnthropicMessages) => ChatToAnthropic.Response(ResponsesToChat.Response(body, clientModel), clientModel),
            _ => throw Unsupported(from, to),
        };
    }

    /// <summary>
    /// A translator for one stream from <paramref name="from"/> to <paramref name="to"/>. OpenAI Chat output ends with
    /// a usage chunk (empty <c>choices</c>) before <c>[DONE]</c>; use the overload to leave it out when the client
    /// did not ask for <c>stream_options.include_usage</c>. When the formats are equal the translator passes events
    /// through unchanged.
    /// </summary>
    public static IStreamTranslator CreateStreamTranslator(WireFormat from, WireFormat to, string clientModel) =>
        CreateStreamTranslator(from, to, clientModel, includeUsage: true);

    /// <summary>As <see cref="CreateStreamTranslator(WireFormat, WireFormat, string)"/>; <paramref name="includeUsage"/> says whether OpenAI Chat output gets the usage chunk.</summary>
    public static IStreamTranslator CreateStreamTranslator(WireFormat from, WireFormat to, string clientModel, bool includeUsage)
    {
        ArgumentNullException.ThrowIfNull(clientModel);
        return (from, to) switch
        {
            _ when from == to => PassThroughStream.Instance,
            (WireFormat.AnthropicMessages, WireFormat.OpenAIChat) => new AnthropicToChatStream(clientModel, includeUsage),
            (WireFormat.OpenAIChat, WireFormat.AnthropicMessages) => new ChatToAnthropicStream(clientModel),
            (WireFormat.OpenAIChat, WireFormat.OpenAIResponses) => new ChatToResponsesStream(clientModel),
            (WireFormat.OpenAIResponses, WireFormat.OpenAIChat) => new ResponsesToChatStream(clientModel, includeUsage),
            (WireFormat.AnthropicMessages, WireFormat.OpenAIResponses) => new ChainedStreamTranslator(
                new AnthropicToChatStream(clientModel, includeUsage: true), new ChatToResponsesStream(clientModel)),
            (WireFormat.OpenAIResponses, WireFormat.AnthropicMessages) => new ChainedStreamTranslator(
                new ResponsesToChatStream(clientModel, includeUsage: true), new ChatToAnthropicStream(clientModel)),
            _ => throw Unsupported(from, to),
        };
    }

    private static ModelRequestException Unsupported(WireFormat from, WireFormat to) =>
        new(ModelErrorKind.InvalidRequest, $"This model cannot serve {Describe(from)} requests: its provider only speaks {Describe(to)}.");

    private static string Describe(WireFormat format) => format switch
    {
        WireFormat.OpenAIChat => "Chat Completions",
        WireFormat.OpenAIResponses => "Responses",
        WireFormat.OpenAIEmbeddings => "Embeddings",
        _ => "Anthropic Messages",
    };
}
