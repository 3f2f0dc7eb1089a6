namespace Warden.ScriptedModel.Hosting;

/// <summary>Keeps a request counted as in progress until disposed.</summary>
internal readonly struct ActiveScope(ScriptState state, bool stream) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => state.End(stream);
}
