using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>
/// OpenAI chat chunks to Anthropic Messages events: <c>message_start</c> before anything else, one content block
/// per run of text and per tool call (indexes in order, each closed before the next opens), and at <c>[DONE]</c>
/// (or the end of the stream after a finish reason) <c>message_delta</c> with the stop reason and usage, then
/// <c>message_stop</c>. Usage comes from the usage chunk, so the upstream request should ask for it.
/// </summary>
internal sealed class ChatToAnthropicStream(string clientModel) : ChatChunkReader
{
    private readonly AnthropicEventWriter _events = new(clientModel);
    private readonly Dictionary<long, int> _blockByTool = [];
    private string _idSuffix = "";
    private int _nextBlock;
    private int _openBlock = -1;
    private bool _openIsText;
    private long _prompt;
    private long _cached;
    private long _completion;

    protected override void OnStart(List<SseEvent> output, string? id, long? created)
    {
        var messageId = Ids.MessageId(id);
        _idSuffix = messageId["msg_".Length..];
        _events.MessageStart(output, messageId, 0);
    }

    protected override void OnUsage(JsonElement usage)
    {
        _prompt = StreamEvents.GetLong(usage, "prompt_tokens") ?? _prompt;
        _completion = StreamEvents.GetLong(usage, "completion_tokens") ?? _completion;
        _cached = StreamEvents.GetLong(StreamEvents.Get(usage, "prompt_tokens_details"), "cached_tokens") ?? _cached;
    }

    protected override void OnText(List<SseEvent> output, string text)
    {
        if (!(_openBlock >= 0 && _openIsText))
        {
            CloseBlock(output);
            _openBlock = _nextBlock++;
            _openIsText = true;
            _events.TextBlockStart(output, _openBlock);
        }

        _events.TextDelta(output, _openBlock, text);
    }

    protected override void OnToolCall(List<SseEvent> output, long index, string? id, string? name, string? arguments)
    {
        if (!_blockByTool.TryGetValue(index, out var block))
        {
            CloseBlock(output);
            block = _nextBlock++;
            _blockByTool[index] = block;
            _openBlock = block;
            _openIsText = false;
            _events.ToolBlockStart(output, block, id ?? $"toolu_{_idSuffix}_{index}", name ?? "");
        }

        if (!string.IsNullOrEmpty(arguments))
        {
            _events.JsonDelta(output, block, arguments);
        }
    }

    protected override void OnFinishReason(List<SseEvent> output) => CloseBlock(output);

    protected override void OnFinish(List<SseEvent> output)
    {
        CloseBlock(output);
        _events.MessageDelta(output, StopReasons.ChatToAnthropic(FinishReason) ?? "end_turn", Math.Max(0, _prompt - _cached), _cached, _completion);
        _events.MessageStop(output);
    }

    protected override void OnError(List<SseEvent> output, string? code, string message) =>
        _events.Error(output, code is null ? ModelErrorKind.UpstreamError : ModelErrors.KindFor(500, code), message);

    private void CloseBlock(List<SseEvent> output)
    {
        if (_openBlock >= 0)
        {
            _events.BlockStop(output, _openBlock);
            _openBlock = -1;
        }
    }
}
