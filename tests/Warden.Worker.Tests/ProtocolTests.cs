using System.Text;
using System.Text.Json;
using Warden.Protocol;

namespace Warden.Worker.Tests;

public sealed class ProtocolTests
{
    public static TheoryData<ProtocolMessage> Messages => new()
    {
        new HelloMessage { WorkerId = "wkr_1", Name = "w1", SoftwareVersion = "1.2.3", Pool = "linux", Labels = new Dictionary<string, string> { ["arch"] = "x64" }, Capacity = 4, Sessions = ["s1"], Sandboxed = true },
        new RegisteredMessage { WorkerId = "wkr_1", Pool = "linux", HeartbeatIntervalMs = 15000, GracePeriodMs = 60000, Resumed = ["s1"], Abandoned = ["s2"] },
        new HeartbeatMessage { Running = 2, Load = 0.5, Draining = true },
        new DrainMessage { Reason = "maintenance" },
        new SessionAssignMessage
        {
            SessionId = "s1", Repository = "https://git.example/r.git", BaseRef = "main",
            Credential = new SessionCredential { Kind = CredentialKinds.Bearer, Secret = "tok", ExpiresAt = DateTimeOffset.UnixEpoch },
            Limits = new SessionLimits { MemoryMb = 512, OutputBytes = 1000 },
        },
        new SessionReadyMessage { SessionId = "s1", Commit = "abc", PrepareMs = 12, FromMirror = true },
        new SessionFailedMessage { SessionId = "s1", Reason = "clone failed" },
        new ToolCallMessage { SessionId = "s1", Call = new ToolCall("c1", "shell", JsonDocument.Parse("""{"command":"ls"}""").RootElement, 5000) },
        new ToolOutputMessage { SessionId = "s1", CallId = "c1", Chunk = new ToolOutputChunk("stdout", "hello\n") },
        new ToolResultMessage { SessionId = "s1", CallId = "c1", Replayed = true, Result = new ToolResult { Status = ToolStatus.TimedOut, Output = "x", Truncated = true, ExitCode = null, Error = "slow", DurationMs = 7 } },
        new SessionEndMessage { SessionId = "s1", Reason = "done" },
        new ErrorMessage { Code = ErrorCodes.UnknownSession, Message = "gone", InReplyTo = "m1", SessionId = "s1", CallId = "c1" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void EveryMessage_RoundTripsWithItsTypeIdAndVersion(ProtocolMessage message)
    {
        var bytes = ProtocolCodec.Serialize(message);
        var back = ProtocolCodec.Read(bytes);
        using var doc = JsonDocument.Parse(bytes);

        back.GetType().ShouldBe(message.GetType());
        back.Id.ShouldBe(message.Id);
        back.Version.ShouldBe(ProtocolVersions.Current);
        doc.RootElement.GetProperty("v").GetInt32().ShouldBe(ProtocolVersions.Current);
        doc.RootElement.GetProperty("type").GetString().ShouldNotBeNullOrEmpty();
        // Records compare structurally except for collections and JSON elements; the re-encoding is the stable comparison.
        Encoding.UTF8.GetString(ProtocolCodec.Serialize(back)).ShouldBe(Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void WireFormat_UsesTheDocumentedNames()
    {
        var json = Encoding.UTF8.GetString(ProtocolCodec.Serialize(new ToolCallMessage { Id = "m1", SessionId = "s1", Call = new ToolCall("c1", "shell", JsonDocument.Parse("{}").RootElement) }));

        json.ShouldBe("""{"type":"tool.call","v":1,"id":"m1","sessionId":"s1","call":{"callId":"c1","tool":"shell","arguments":{}}}""");
    }

    [Fact]
    public void Reader_AcceptsTheTypeAnywhere_AndRejectsUnknownOrMissingTypes()
    {
        ProtocolCodec.Read("""{"v":1,"id":"x","reason":"r","type":"drain"}"""u8).ShouldBeOfType<DrainMessage>().Reason.ShouldBe("r");
        Should.Throw<ProtocolException>(() => ProtocolCodec.Read("""{"type":"teleport","v":1}"""u8));
        Should.Throw<ProtocolException>(() => ProtocolCodec.Read("""{"v":1,"id":"x"}"""u8));
        Should.Throw<ProtocolException>(() => ProtocolCodec.Read("not json"u8));
    }

    [Fact]
    public void Versions_AreCheckedByRange()
    {
        ProtocolVersions.IsSupported(ProtocolVersions.Current).ShouldBeTrue();
        ProtocolVersions.IsSupported(ProtocolVersions.Current + 1).ShouldBeFalse();
        ProtocolVersions.IsSupported(0).ShouldBeFalse();
        ProtocolCodec.Read("""{"type":"heartbeat","v":7,"id":"x"}"""u8).Version.ShouldBe(7);
    }

    [Fact]
    public void SessionCredential_NeverPrintsItsSecret()
    {
        var credential = new SessionCredential { Username = "bot", Secret = "s3cr3t-value" };

        credential.ToString().ShouldNotContain("s3cr3t-value");
        new SessionAssignMessage { SessionId = "s", Credential = credential }.ToString().ShouldNotContain("s3cr3t-value");
    }
}
