namespace Warden.ScriptedModel.Tests;

/// <summary>One decoded AWS event-stream message.</summary>
internal sealed record EventStreamMessage(IReadOnlyDictionary<string, string> Headers, byte[] Payload);
