using System.Diagnostics;
using Warden.Audit.Export;
using Warden.Audit.Signing;
using Warden.Audit.Storage;
using Warden.Audit.Verification;
using Xunit.Abstractions;

namespace Warden.Audit.Tests;

/// <summary>Informal throughput smoke checks; figures go to the test output, nothing is asserted about speed.</summary>
[Trait("Category", "Throughput")]
public sealed class ThroughputTests(ITestOutputHelper output)
{
    private const int Events = 50_000;

    [Fact]
    public async Task Throughput_WriterExportAndVerifyRunEndToEnd()
    {
        using var key = AuditSigningKey.Generate();
        var keyring = new AuditKeyring(key);
        var store = new InMemoryAuditLedgerStore();
        var drafts = Enumerable.Range(0, 1000).Select(i => TestData.Draft(i)).ToArray();
        var options = TestData.Options(checkpointEvery: 10_000) with { MaxBatchSize = 1024 };
        var writer = await AuditWriter.StartAsync(store, options, keyring, new FakeTimeProvider());

        var stopwatch = Stopwatch.StartNew();
        var producers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            var pending = new List<Task<AuditEvent>>(256);
            for (var i = p; i < Events; i += 8)
            {
                pending.Add(writer.AppendAsync(drafts[i % drafts.Length]));
                if (pending.Count == 256)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }

            await Task.WhenAll(pending);
        })).ToArray();
        await Task.WhenAll(producers);
        await writer.StopAsync();
        var appendSeconds = stopwatch.Elapsed.TotalSeconds;

        stopwatch.Restart();
        var storeReport = await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, AuditPublicKeySet.From(keyring));
        var storeVerifySeconds = stopwatch.Elapsed.TotalSeconds;

        using var file = new MemoryStream();
        stopwatch.Restart();
        await AuditExporter.ExportAsync(store, file, TestData.LedgerId);
        var exportSeconds = stopwatch.Elapsed.TotalSeconds;

        file.Position = 0;
        stopwatch.Restart();
        var fileReport = await AuditExportReader.VerifyAsync(file, AuditPublicKeySet.From(keyring));
        var fileVerifySeconds = stopwatch.Elapsed.TotalSeconds;

        output.WriteLine($"Appends (in-memory store, 8 producers): {Events / appendSeconds:N0}/s in {writer.BatchCount} batches");
        output.WriteLine($"Verify from store objects: {Events / storeVerifySeconds:N0} events/s");
        output.WriteLine($"Export: {Events / exportSeconds:N0} events/s, {file.Length / Events} bytes/event");
        output.WriteLine($"Verify export file: {Events / fileVerifySeconds:N0} events/s");
        storeReport.IsIntact.ShouldBeTrue(storeReport.Problem?.Message);
        fileReport.IsIntact.ShouldBeTrue(fileReport.Problem?.Message);
        fileReport.EventsVerified.ShouldBe(Events);
    }
}
