using System.Text.Json.Serialization;

namespace Warden.Protocol;

/// <summary>
/// The envelope every message shares: the message <c>type</c> (the JSON discriminator), its <c>id</c> and the sender's
/// protocol version <c>v</c>. One WebSocket text frame carries one message.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(HelloMessage), MessageTypes.Hello)]
[JsonDerivedType(typeof(RegisteredMessage), MessageTypes.Registered)]
[JsonDerivedType(typeof(HeartbeatMessage), MessageTypes.Heartbeat)]
[JsonDerivedType(typeof(DrainMessage), MessageTypes.Drain)]
[JsonDerivedType(typeof(SessionAssignMessage), MessageTypes.SessionAssign)]
[JsonDerivedType(typeof(SessionReadyMessage), MessageTypes.SessionReady)]
[JsonDerivedType(typeof(SessionFailedMessage), MessageTypes.SessionFailed)]
[JsonDerivedType(typeof(ToolCallMessage), MessageTypes.ToolCall)]
[JsonDerivedType(typeof(ToolOutputMessage), MessageTypes.ToolOutput)]
[JsonDerivedType(typeof(ToolResultMessage), MessageTypes.ToolResult)]
[JsonDerivedType(typeof(SessionEndMessage), MessageTypes.SessionEnd)]
[JsonDerivedType(typeof(EgressCheckMessage), MessageTypes.EgressCheck)]
[JsonDerivedType(typeof(EgressDecisionMessage), MessageTypes.EgressDecision)]
[JsonDerivedType(typeof(EgressAttemptMessage), MessageTypes.EgressAttempt)]
[JsonDerivedType(typeof(ErrorMessage), MessageTypes.Error)]
public abstract record ProtocolMessage
{
    /// <summary>The sender's protocol version.</summary>
    [JsonPropertyName("v")]
    [JsonPropertyOrder(-2)]
    public int Version { get; init; } = ProtocolVersions.Current;

    /// <summary>A unique id for this message, for logs and for <see cref="ErrorMessage.InReplyTo"/>.</summary>
    [JsonPropertyOrder(-1)]
    public string Id { get; init; } = NewId();

    /// <summary>A new message id: 16 random hex characters are plenty for correlating within one connection.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N")[..16];
}
