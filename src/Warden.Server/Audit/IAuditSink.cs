using Warden.Audit;

namespace Warden.Server.Audit;

/// <summary>A destination for exported audit events.</summary>
public interface IAuditSink : IAsyncDisposable
{
    /// <summary>The configured name (the cursor key).</summary>
    string Name { get; }

    /// <summary>
    /// Delivers <paramref name="events"/> (contiguous, ascending). Returns only once the destination accepted all of them;
    /// throws otherwise, and the same batch is offered again later.
    /// </summary>
    Task SendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken);
}
