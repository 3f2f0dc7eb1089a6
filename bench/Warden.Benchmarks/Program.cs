using Warden.Benchmarks;

// Usage: dotnet run -c Release --project bench/Warden.Benchmarks -- audit [--events N] [--postgres "Host=..."]
var command = args.Length > 0 ? args[0] : "audit";
return command switch
{
    "audit" => await AuditBenchmark.RunAsync(args[1..]).ConfigureAwait(false),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Warden.Benchmarks audit [--events N] [--postgres CONNECTION]");
    return 2;
}
