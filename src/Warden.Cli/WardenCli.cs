using System.CommandLine;
using System.Net.Sockets;
using Warden.Cli.Commands;
using Warden.Client;
using Warden.Data;
using Warden.Server.Hosting;

namespace Warden.Cli;

/// <summary>The <c>warden</c> command line: the server, the worker, the embedded default and the API client commands.</summary>
public static class WardenCli
{
    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        var root = Build(env);
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command tree.</summary>
    public static RootCommand Build(CliEnvironment env)
    {
        var root = new RootCommand("Warden: a self-hosted platform for AI coding agents, with governance built in.");
        root.Add(CliContext.JsonOption);
        ServerCommands.Add(root, env);
        IdentityCommands.Add(root, env);
        AuditCommands.Add(root, env);
        PolicyCommands.Add(root, env);
        ModelCommands.Add(root, env);
        WorkerCommands.Add(root, env);
        GitCommands.Add(root, env);
        TaskCommands.Add(root, env);
        DemoCommand.Add(root, env);
        return root;
    }

    /// <summary>
    /// Wraps a command body: expected failures print one line on standard error and give a non-zero exit code;
    /// nothing is printed twice and no stack trace reaches the user.
    /// </summary>
    public static void SetHandler(this Command command, CliEnvironment env, Func<CliContext, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, ct) =>
        {
            var context = new CliContext(env, parse);
            try
            {
                return await body(context, ct).ConfigureAwait(false);
            }
            catch (CliException e)
            {
                return Fail(env, e.Message, e.ExitCode);
            }
            catch (WardenApiException e)
            {
                return Fail(env, e.Message, 1);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                return Fail(env, $"Cannot reach the server: {e.Message}", 1);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return Fail(env, "The server did not answer in time.", 1);
            }
            catch (OptionsValidationException e)
            {
                env.Error.WriteLine(e.Message);
                return 2;
            }
            catch (SchemaTooNewException e)
            {
                return Fail(env, e.Message, 1);
            }
            catch (WardenException e)
            {
                return Fail(env, e.Message, 1);
            }
        });
    }

    private static int Fail(CliEnvironment env, string message, int code)
    {
        env.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
        return code;
    }
}
