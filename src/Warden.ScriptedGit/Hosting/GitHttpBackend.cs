using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Warden.ScriptedGit.Hosting;

/// <summary>
/// Git's smart HTTP protocol through <c>git http-backend</c> run as a CGI program per request: the request becomes the
/// CGI environment and standard input, the CGI header lines become the response status and headers, and the rest of
/// its output is the response body, streamed as it comes.
/// </summary>
internal sealed class GitHttpBackend(string git, string root)
{
    public async Task ServeAsync(HttpContext ctx, string path, string query, string user)
    {
        var info = new ProcessStartInfo(git)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("http-backend");
        info.Environment["GIT_PROJECT_ROOT"] = root;
        info.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        info.Environment["PATH_INFO"] = path;
        info.Environment["QUERY_STRING"] = query;
        info.Environment["REQUEST_METHOD"] = ctx.Request.Method;
        info.Environment["CONTENT_TYPE"] = ctx.Request.ContentType ?? string.Empty;
        // http-backend allows pushes only from an authenticated user.
        info.Environment["REMOTE_USER"] = user;
        info.Environment["REMOTE_ADDR"] = ctx.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        if (ctx.Request.ContentLength is { } length)
        {
            info.Environment["CONTENT_LENGTH"] = length.ToString(CultureInfo.InvariantCulture);
        }

        if (ctx.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            info.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }

        if (ctx.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
        {
            info.Environment["GIT_PROTOCOL"] = protocol;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("git http-backend could not be started.");
        var copyIn = CopyBodyAsync(ctx.Request.Body, process.StandardInput.BaseStream, ctx.RequestAborted);
        var stderr = process.StandardError.ReadToEndAsync(ctx.RequestAborted);
        var output = process.StandardOutput.BaseStream;
        try
        {
            var (headers, start) = await ReadCgiHeadersAsync(output, ctx.RequestAborted).ConfigureAwait(false);
            foreach (var (name, value) in headers)
            {
                if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                {
                    ctx.Response.StatusCode = int.Parse(value.Split(' ')[0], CultureInfo.InvariantCulture);
                }
                else
                {
                    ctx.Response.Headers.Append(name, value);
                }
            }

            await ctx.Response.Body.WriteAsync(start, ctx.RequestAborted).ConfigureAwait(false);
            await output.CopyToAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
            await copyIn.ConfigureAwait(false);
            await stderr.ConfigureAwait(false);
            await process.WaitForExitAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static async Task CopyBodyAsync(Stream body, Stream stdin, CancellationToken ct)
    {
        try
        {
            await body.CopyToAsync(stdin, ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // http-backend stopped reading (it answered early); its answer says why.
        }
        finally
        {
            stdin.Close();
        }
    }

    // CGI: header lines up to an empty line (LF or CRLF endings), then the body. Returns the headers and the body
    // bytes read past them.
    private static async Task<(List<(string Name, string Value)> Headers, ReadOnlyMemory<byte> Body)> ReadCgiHeadersAsync(Stream output, CancellationToken ct)
    {
        var buffer = new byte[4096];
        var filled = 0;
        var end = -1;
        while (end < 0)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await output.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            if (read == 0)
            {
                end = filled;
                break;
            }

            var from = Math.Max(0, filled - 3);
            filled += read;
            end = HeaderEnd(buffer.AsSpan(0, filled), from);
        }

        var headers = new List<(string, string)>();
        foreach (var line in Encoding.ASCII.GetString(buffer, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
        }

        return (headers, buffer.AsMemory(end, filled - end));
    }

    // The index just past the blank line ending the header, or -1.
    private static int HeaderEnd(ReadOnlySpan<byte> data, int from)
    {
        for (var i = from; i < data.Length; i++)
        {
            if (data[i] != '\n')
            {
                continue;
            }

            if (i >= 1 && data[i - 1] == '\n')
            {
                return i + 1;
            }

            if (i >= 2 && data[i - 1] == '\r' && data[i - 2] == '\n')
            {
                return i + 1;
            }
        }

        return -1;
    }
}
