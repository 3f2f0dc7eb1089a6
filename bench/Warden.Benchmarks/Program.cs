using BenchmarkDotNet.Jobs;
using Warden.Benchmarks;

// Usage: dotnet run -c Release --project bench/Warden.Benchmarks -- audit [--events N] [--postgres "Host=..."]
//        dotnet run -c Release --project bench/Warden.Benchmarks -- workers [--calls N] [--workers N]
//        dotnet run -c Release --project bench/Warden.Benchmarks -- sessions [--sessions N] [--steps K] [--latency-ms MS] [--workers N] [--light N] [--waves N] [--rounds N] [--warmup-waves N] [--postgres CONNECTION] [--server-data DIR] [--worker-data DIR] [--alloc-types FILE] [--server-env NAME=VALUE]
//        dotnet run -c Release --project bench/Warden.Benchmarks -- gateway [--seconds N] [--warmup N] [--long MINUTES [--concurrency N]] [--postgres "Host=..."] [--server-env NAME=VALUE]
var command = args.Length > 0 ? args[0] : "audit";
return command switch
{
    "audit" => await AuditBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    "policy" => RunPolicy(args[1..]),
    "workers" => await WorkerBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    "workers-server" => await WorkerBenchmark.ServeAsync(args[1..]).ConfigureAwait(false),
    "sessions" => await SessionBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    // The Warden server of the sessions benchmark, started by it as a child process.
    "sessions-server" => await SessionBenchmark.ServeAsync(args[1..]).ConfigureAwait(false),
    "gateway" => await GatewayBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    // The Warden server of the gateway benchmark, started by it as a child process.
    "gateway-server" => await GatewayServerChild.ServeAsync(args[1..]).ConfigureAwait(false),
    _ => Usage(),
};

static int RunPolicy(string[] rest)
{
    // Short job: enough iterations for stable medians on two cores without a ten-minute run.
    var config = BenchmarkDotNet.Configs.ManualConfig.Create(BenchmarkDotNet.Configs.DefaultConfig.Instance)
        .AddJob(BenchmarkDotNet.Jobs.Job.Default.WithWarmupCount(3).WithIterationCount(15));
    BenchmarkDotNet.Running.BenchmarkRunner.Run<PolicyDecisionBenchmarks>(config, rest);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Warden.Benchmarks audit [--events N] [--postgres CONNECTION] | policy | workers [--calls N] [--workers N] [--postgres CONNECTION] | sessions [--sessions N] [--steps K] [--latency-ms MS] [--workers N] [--light N] [--waves N] [--rounds N] [--warmup-waves N] [--postgres CONNECTION] [--server-data DIR] [--worker-data DIR] [--alloc-types FILE] [--server-env NAME=VALUE] | gateway [--seconds N] [--warmup N] [--long MINUTES [--concurrency N]] [--postgres CONNECTION] [--server-env NAME=VALUE]");
    return 2;
}
