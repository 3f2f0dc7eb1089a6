using System.CommandLine;
using Warden.Policy.Conformance;
using Warden.Server.Policy;

namespace Warden.Cli.Commands;

/// <summary><c>warden policy test|validate|init|push|list|show|diff|explain</c>.</summary>
public static partial class PolicyCommands
{
    /// <summary>Adds <c>policy</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        var policy = new Command("policy", "Policy as code: Cedar policies, their tests, versions and decisions.");
        policy.Add(Test(env));
        policy.Add(Validate(env));
        policy.Add(Init(env));
        AddServerCommands(policy, env);
        root.Add(policy);
    }

    private static Command Test(CliEnvironment env)
    {
        var paths = new Argument<string[]>("paths") { Description = "Test files or folders in Cedar's integration-test JSON format.", Arity = ArgumentArity.OneOrMore };
        var root = new Option<string?>("--root") { Description = "Folder that paths inside the tests are relative to (default: found from each test)." };
        var command = new Command("test", "Run policy tests; prints failures and a closing 'N passed, M failed' line.") { paths, root };
        command.SetHandler(env, (ctx, _) =>
        {
            var files = ConformanceRunner.ExpandPaths(ctx.Parse.GetValue(paths)!).ToList();
            if (files.Count == 0)
            {
                throw new CliException("No test files found.");
            }

            var report = ConformanceRunner.RunAll(files, ctx.Parse.GetValue(root));
            report.WriteTo(env.Out);
            return Task.FromResult(report.TestsFailed == 0 ? 0 : 1);
        });
        return command;
    }

    private static Command Validate(CliEnvironment env)
    {
        var dir = new Argument<string>("dir") { Description = "A policy bundle folder: *.cedar, optional *.cedarschema, tests/*.json." };
        var command = new Command("validate", "Parse, validate (strict) and test a policy bundle, as 'push' will.") { dir };
        command.SetHandler(env, (ctx, _) =>
        {
            PolicyBundle bundle;
            try
            {
                bundle = PolicyBundle.FromDirectory(ctx.Parse.GetValue(dir)!);
            }
            catch (PolicyBundleException e)
            {
                foreach (var error in e.Errors)
                {
                    env.Error.WriteLine("error: " + error);
                }

                return Task.FromResult(1);
            }

            var problems = bundle.Check();
            foreach (var p in problems)
            {
                env.Error.WriteLine("error: " + p);
            }

            ctx.Line($"{bundle.Policies.Policies.Count} policies, {bundle.TestFiles.Count()} test files, {bundle.ContentHash}: {(problems.Count == 0 ? "valid" : $"{problems.Count} problems")}");
            return Task.FromResult(problems.Count == 0 ? 0 : 1);
        });
        return command;
    }

    private static Command Init(CliEnvironment env)
    {
        var dir = new Argument<string>("dir") { Description = "Folder to create." };
        var command = new Command("init", "Write Warden's schema, default policies and their tests to a folder, to start a policy repository.") { dir };
        command.SetHandler(env, (ctx, _) =>
        {
            var target = ctx.Parse.GetValue(dir)!;
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            {
                throw new CliException($"{target} is not empty.");
            }

            foreach (var (name, content) in PolicyBundle.Default.Files)
            {
                var path = Path.Combine(target, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, content);
            }

            ctx.Line($"Wrote {PolicyBundle.Default.Files.Count} files to {target}. Check them with: warden policy validate {target}");
            return Task.FromResult(0);
        });
        return command;
    }
}
