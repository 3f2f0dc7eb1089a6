using Warden.Sandbox.Egress;
using Warden.Sandbox.Tests.Support;

namespace Warden.Sandbox.Tests.Attacks;

/// <summary>An agent tries to reach the host's services and the network.</summary>
[Collection(SandboxCollection.Name)]
public sealed class NetworkAttackTests(SandboxFixture fixture)
{
    private async Task<(SandboxSession Session, TestWorkspace Workspace)> NewAsync(EgressProxyOptions? egress)
    {
        var workspace = fixture.NewWorkspace();
        var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "net", WorkspaceDirectory = workspace.Path, Egress = egress });
        return (session, workspace);
    }

    [Fact]
    public async Task WithoutEgress_HostLoopbackAndTheNetworkAreUnreachable()
    {
        await using var listener = new HostListener();
        var (session, workspace) = await NewAsync(egress: null);
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell(
                $"curl -sS --max-time 5 http://127.0.0.1:{listener.Port}/; echo rc=$?; " +
                "curl -sS --max-time 5 http://1.1.1.1/; echo rc=$?; getent hosts example.com; echo dns=$?; ip -o addr | grep -v ' lo ' | wc -l"));
            result.Stdout.ShouldNotContain(HostListener.Body);
            result.Stdout.ShouldContain("rc=7");
            result.Stdout.ShouldContain("dns=2");
            result.Stdout.ShouldEndWith("0\n");
            listener.Connections.ShouldBe(0);
        }
    }

    [Fact]
    public async Task WithEgress_ADeniedTarget_Gets403_AndIsAudited()
    {
        await using var listener = new HostListener();
        var gate = new RecordingGate(_ => false);
        var (session, workspace) = await NewAsync(new EgressProxyOptions { Gate = gate, AllowLoopbackTargets = true });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell(
                $"curl -s --noproxy '' -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1:{listener.Port}/secret; " +
                $"curl -sS --noproxy '' -p --max-time 5 http://127.0.0.1:{listener.Port}/ 2>&1; " +
                $"curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:{listener.Port}/; echo direct=$?"));
            result.Stdout.ShouldStartWith("403\n");
            result.Stdout.ShouldContain("CONNECT");
            result.Stdout.ShouldContain("direct=7");
            result.Stdout.ShouldNotContain(HostListener.Body);
            listener.Connections.ShouldBe(0);

            var plain = await gate.WaitForAttemptAsync(a => a.Request?.Scheme == "http");
            plain.Allowed.ShouldBeFalse();
            plain.Reason.ShouldBe("denied by policy");
            plain.StatusCode.ShouldBe(403);
            plain.Request!.Host.ShouldBe("127.0.0.1");
            plain.Request.Port.ShouldBe(listener.Port);
            plain.Request.Method.ShouldBe("GET");
            plain.SessionId.ShouldBe("net");

            var tunnel = await gate.WaitForAttemptAsync(a => a.Request?.Scheme == "tunnel");
            tunnel.Allowed.ShouldBeFalse();
            tunnel.Request!.Method.ShouldBe("CONNECT");
        }
    }

    [Fact]
    public async Task WithEgress_AnAllowedTarget_IsReached_AndIsAudited()
    {
        await using var listener = new HostListener();
        var gate = new RecordingGate(r => r.Host == "127.0.0.1" && r.Port == listener.Port);
        var (session, workspace) = await NewAsync(new EgressProxyOptions { Gate = gate, AllowLoopbackTargets = true });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell(
                $"curl -sS --noproxy '' --max-time 10 -H 'Proxy-Authorization: Basic c2VjcmV0' http://127.0.0.1:{listener.Port}/plain; echo; " +
                $"curl -sS --noproxy '' -p --max-time 10 http://127.0.0.1:{listener.Port}/tunnel"));
            result.Stdout.ShouldBe($"{HostListener.Body}\n{HostListener.Body}", result.Stderr);
            listener.Connections.ShouldBe(2);
            listener.Heads.ShouldContain(h => h.StartsWith("GET /plain HTTP/1.1\r\n", StringComparison.Ordinal));
            listener.Heads.ShouldAllBe(h => !h.Contains("Proxy-Authorization", StringComparison.OrdinalIgnoreCase));

            var plain = await gate.WaitForAttemptAsync(a => a.Request?.Scheme == "http");
            plain.Allowed.ShouldBeTrue();
            plain.Reason.ShouldBe("allowed");
            plain.ResolvedAddress.ShouldBe("127.0.0.1");
            plain.BytesDown.ShouldBeGreaterThan(HostListener.Body.Length);
            plain.BytesUp.ShouldBeGreaterThan(0);

            var tunnel = await gate.WaitForAttemptAsync(a => a.Request?.Scheme == "tunnel");
            tunnel.Allowed.ShouldBeTrue();
            tunnel.StatusCode.ShouldBe(200);
            tunnel.BytesDown.ShouldBeGreaterThan(HostListener.Body.Length);
        }
    }

    [Fact]
    public async Task WithEgress_AnAllowedNameThatResolvesToLoopback_IsRefused()
    {
        await using var listener = new HostListener();
        var gate = new RecordingGate(_ => true);
        var (session, workspace) = await NewAsync(new EgressProxyOptions { Gate = gate });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell(
                $"curl -s --noproxy '' -o /dev/null -w '%{{http_code}}\\n' http://localhost:{listener.Port}/; " +
                $"curl -s --noproxy '' -o /dev/null -w '%{{http_code}}\\n' http://169.254.169.254/latest/meta-data/; " +
                $"curl -s --noproxy '' -o /dev/null -w '%{{http_code}}\\n' http://10.0.0.1/"));
            result.Stdout.ShouldBe("403\n403\n403\n");
            listener.Connections.ShouldBe(0);
            var attempt = await gate.WaitForAttemptAsync(a => a.Request?.Host == "localhost");
            attempt.Allowed.ShouldBeFalse();
            attempt.Reason.ShouldBe("blocked address");
            (await gate.WaitForAttemptAsync(a => a.Request?.Host == "169.254.169.254")).Reason.ShouldBe("blocked address");
            (await gate.WaitForAttemptAsync(a => a.Request?.Host == "10.0.0.1")).Reason.ShouldBe("blocked address");
        }
    }
}
