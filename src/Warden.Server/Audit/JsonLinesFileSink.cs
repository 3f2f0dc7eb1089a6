using System.Buffers;
using Warden.Audit;
using Warden.Audit.Export;

namespace Warden.Server.Audit;

/// <summary>
/// Appends events to a file as export-format event lines (<c>{"type":"event","prev":...,"hash":...,"event":{...}}</c>,
/// verifiable with the hashes), flushed to disk before a batch counts as accepted. Before the file would grow past
/// <see cref="AuditExporterOptions.MaxFileBytes"/> it is renamed to <c>.1</c> (older ones shift up, the oldest beyond
/// <see cref="AuditExporterOptions.MaxFiles"/> is deleted) and a new file is started.
/// </summary>
public sealed class JsonLinesFileSink(AuditExporterOptions options) : IAuditSink
{
    private readonly string _path = Path.GetFullPath(options.Path!);
    private FileStream? _file;

    /// <inheritdoc />
    public string Name => options.Name;

    /// <inheritdoc />
    public async Task SendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        var line = new ArrayBufferWriter<byte>(1024);
        try
        {
            foreach (var e in events)
            {
                line.ResetWrittenCount();
                AuditExportFormat.WriteEventLine(e, line);
                var file = Open();
                if (file.Length > 0 && file.Length + line.WrittenCount > options.MaxFileBytes)
                {
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                    Rotate();
                    file = Open();
                }

                await file.WriteAsync(line.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }

            if (_file is { } current)
            {
                await current.FlushAsync(cancellationToken).ConfigureAwait(false);
                current.Flush(flushToDisk: true);
            }
        }
        catch
        {
            // The file's state is unknown (say, half a line written): reopen next time; a retry may duplicate lines.
            await CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => CloseAsync();

    private FileStream Open()
    {
        if (_file is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            _file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true);
        }

        return _file;
    }

    private void Rotate()
    {
        _file!.Dispose();
        _file = null;
        var oldest = $"{_path}.{options.MaxFiles}";
        if (File.Exists(oldest))
        {
            File.Delete(oldest);
        }

        for (var i = options.MaxFiles - 1; i >= 1; i--)
        {
            var from = $"{_path}.{i}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_path}.{i + 1}");
            }
        }

        File.Move(_path, _path + ".1");
    }

    private async ValueTask CloseAsync()
    {
        if (_file is { } file)
        {
            _file = null;
            await file.DisposeAsync().ConfigureAwait(false);
        }
    }
}
