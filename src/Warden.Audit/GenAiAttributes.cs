namespace Warden.Audit;

/// <summary>
/// OpenTelemetry GenAI semantic-convention attribute names to use as <see cref="AuditEvent.Details"/> keys for model
/// and tool events, so details export to OTLP (<see cref="Interop.OtlpLogsExporter"/>) with standard meaning.
/// The conventions are still marked "development" upstream; these are the current names.
/// </summary>
public static class GenAiAttributes
{
    /// <summary><c>gen_ai.operation.name</c>: e.g. <c>chat</c>, <c>execute_tool</c>, <c>invoke_agent</c>.</summary>
    public const string OperationName = "gen_ai.operation.name";

    /// <summary><c>gen_ai.provider.name</c>: e.g. <c>anthropic</c>, <c>openai</c>.</summary>
    public const string ProviderName = "gen_ai.provider.name";

    /// <summary><c>gen_ai.request.model</c>: the model asked for.</summary>
    public const string RequestModel = "gen_ai.request.model";

    /// <summary><c>gen_ai.response.model</c>: the model that answered.</summary>
    public const string ResponseModel = "gen_ai.response.model";

    /// <summary><c>gen_ai.response.id</c>.</summary>
    public const string ResponseId = "gen_ai.response.id";

    /// <summary><c>gen_ai.response.finish_reasons</c>: array of strings.</summary>
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";

    /// <summary><c>gen_ai.usage.input_tokens</c>.</summary>
    public const string UsageInputTokens = "gen_ai.usage.input_tokens";

    /// <summary><c>gen_ai.usage.output_tokens</c>.</summary>
    public const string UsageOutputTokens = "gen_ai.usage.output_tokens";

    /// <summary><c>gen_ai.conversation.id</c>: also what <see cref="AuditSource.SessionId"/> exports as.</summary>
    public const string ConversationId = "gen_ai.conversation.id";

    /// <summary><c>gen_ai.agent.id</c>.</summary>
    public const string AgentId = "gen_ai.agent.id";

    /// <summary><c>gen_ai.agent.name</c>.</summary>
    public const string AgentName = "gen_ai.agent.name";

    /// <summary><c>gen_ai.tool.name</c>.</summary>
    public const string ToolName = "gen_ai.tool.name";

    /// <summary><c>gen_ai.tool.call.id</c>.</summary>
    public const string ToolCallId = "gen_ai.tool.call.id";

    /// <summary><c>gen_ai.tool.type</c>: e.g. <c>function</c>, <c>extension</c>, <c>datastore</c>.</summary>
    public const string ToolType = "gen_ai.tool.type";
}
