using Warden.Cli;

return await WardenCli.RunAsync(args, CliEnvironment.FromProcess()).ConfigureAwait(false);
