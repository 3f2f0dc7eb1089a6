using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Data;
using Warden.Data.Workers;
using Warden.Protocol;
using Warden.Server.Api;

namespace Warden.Server.Workers;

/// <summary>
/// <c>GET /api/v1/workers/connect</c>: the WebSocket a worker dials. Authenticates the pool join token before the
/// upgrade (401 problem+json otherwise), expects a hello, registers the worker, then relays its messages to the hub until
/// the connection ends.
/// </summary>
public sealed partial class WorkerGateway(WorkerPoolStore pools, WorkerStore workers, WorkerHub hub, IHostApplicationLifetime lifetime, ILogger<WorkerGateway> logger)
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Serves one worker connection.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problems.WriteAsync(context, WardenErrorKind.Validation, "This endpoint speaks the worker protocol over a WebSocket; run 'warden worker' to connect a worker.").ConfigureAwait(false);
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        var check = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await pools.AuthenticateAsync(header["Bearer ".Length..].Trim(), context.RequestAborted).ConfigureAwait(false)
            : JoinTokenCheck.Fail("Send a pool join token: 'Authorization: Bearer wjt_...'.");
        if (check.Identity is not { } identity)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.WriteAsync(context, WardenErrorKind.Unauthenticated, check.Failure!).ConfigureAwait(false);
            return;
        }

        var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(ProtocolVersions.SubProtocol) ? ProtocolVersions.SubProtocol : null;
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol, KeepAliveInterval = TimeSpan.FromSeconds(20) }).ConfigureAwait(false);
        using var socket = new ProtocolSocket(webSocket);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, context.RequestAborted);
        await hub.WhenRecoveredAsync(stopping.Token).ConfigureAwait(false);
        var registration = await RegisterAsync(socket, identity, stopping.Token).ConfigureAwait(false);
        if (registration is not var (worker, hello, registered))
        {
            return;
        }

        await socket.SendAsync(registered, stopping.Token).ConfigureAwait(false);
        await hub.RecordConnectAsync(worker, hello, registered).ConfigureAwait(false);
        LogConnected(logger, worker.Id, worker.Name, worker.Pool, registered.Resumed.Count);
        await hub.ResumeAsync(worker, socket).ConfigureAwait(false);

        var clean = false;
        var reason = "the connection dropped";
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                ProtocolMessage? message;
                try
                {
                    message = await socket.ReceiveAsync(stopping.Token).ConfigureAwait(false);
                }
                catch (ProtocolException e)
                {
                    await socket.SendAsync(new ErrorMessage { Code = ErrorCodes.BadMessage, Message = e.Message }, stopping.Token).ConfigureAwait(false);
                    continue;
                }

                if (message is null)
                {
                    clean = webSocket.CloseStatus == WebSocketCloseStatus.NormalClosure;
                    reason = clean ? $"closed by the worker ({webSocket.CloseStatusDescription})" : $"closed by the worker with status {webSocket.CloseStatus}";
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                    break;
                }

                await hub.OnMessageAsync(worker, socket, message).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection broke (or the server is stopping).
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The next start finds the worker still marked connected and tracks it as lost until it returns.
            return;
        }

        await hub.DetachAsync(worker, socket, clean, reason).ConfigureAwait(false);
        LogDisconnected(logger, worker.Id, reason);
    }

    private async Task<(LiveWorker Worker, HelloMessage Hello, RegisteredMessage Registered)?> RegisterAsync(ProtocolSocket socket, JoinTokenIdentity identity, CancellationToken cancellationToken)
    {
        ProtocolMessage? first;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(HelloTimeout);
            try
            {
                first = await socket.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ProtocolException or WebSocketException or OperationCanceledException or IOException)
            {
                first = null;
            }
        }

        if (first is not HelloMessage hello)
        {
            await RefuseAsync(socket, ErrorCodes.NotRegistered, "The first message must be a hello.").ConfigureAwait(false);
            return null;
        }

        if (!ProtocolVersions.IsSupported(hello.Version))
        {
            await RefuseAsync(socket, ErrorCodes.UnsupportedVersion,
                $"Protocol version {hello.Version} is not supported; this server speaks {ProtocolVersions.Minimum} to {ProtocolVersions.Current}. Upgrade the worker or the server.").ConfigureAwait(false);
            return null;
        }

        if (hello.Pool is { } wanted && wanted != identity.PoolName)
        {
            await RefuseAsync(socket, ErrorCodes.WrongPool, $"The join token belongs to pool '{identity.PoolName}', not '{wanted}'.").ConfigureAwait(false);
            return null;
        }

        try
        {
            var pool = await pools.GetAsync(WorkerHub.Gateway, identity.OrgName, identity.PoolName, cancellationToken).ConfigureAwait(false);
            var (record, issuedSecret) = await workers.RegisterAsync(WorkerHub.Gateway, new WorkerRegistration(hello.WorkerId, identity, Clean(hello.Name), Clean(hello.SoftwareVersion),
                hello.Labels, Math.Clamp(hello.Capacity, 1, 1000), hello.Sandboxed, hello.Draining, hello.WorkerSecret), cancellationToken).ConfigureAwait(false);
            var (worker, registered) = await hub.AttachAsync(record, identity, pool.Labels, socket, hello).ConfigureAwait(false);
            return (worker, hello, registered with { WorkerSecret = issuedSecret });
        }
        catch (WardenException e)
        {
            if (e.Kind == WardenErrorKind.Unauthenticated && hello.WorkerId is { } claimed)
            {
                await hub.RecordRefusedClaimAsync(identity, claimed, Clean(hello.Name), e.Message).ConfigureAwait(false);
            }

            var code = e.Kind switch
            {
                WardenErrorKind.Forbidden => ErrorCodes.WrongPool,
                WardenErrorKind.Unauthenticated => ErrorCodes.WorkerSecretRequired,
                _ => ErrorCodes.BadMessage,
            };
            await RefuseAsync(socket, code, e.Message).ConfigureAwait(false);
            return null;
        }
    }

    private static async Task RefuseAsync(ProtocolSocket socket, string code, string message)
    {
        await socket.SendAsync(new ErrorMessage { Code = code, Message = message }).ConfigureAwait(false);
        await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, code, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }

    private static string Clean(string? text)
    {
        var value = new string((text ?? string.Empty).Where(c => !char.IsControl(c)).ToArray()).Trim();
        return value.Length == 0 ? "unnamed" : value.Length > 100 ? value[..100] : value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} ({Name}) connected to pool {Pool}; {Resumed} session(s) resumed")]
    private static partial void LogConnected(ILogger logger, string workerId, string name, string pool, int resumed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} disconnected: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string workerId, string reason);
}
