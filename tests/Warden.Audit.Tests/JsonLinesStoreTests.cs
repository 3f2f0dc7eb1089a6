using Warden.Audit.Export;
using Warden.Audit.Signing;
using Warden.Audit.Storage;
using Warden.Audit.Verification;

namespace Warden.Audit.Tests;

public sealed class JsonLinesStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("warden-audit-").FullName;
    private readonly AuditSigningKey _key = AuditSigningKey.Generate();

    private string PathName => System.IO.Path.Combine(_directory, "ledger.jsonl");

    public void Dispose()
    {
        _key.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WriteAsync(int from, int count)
    {
        await using var store = await JsonLinesAuditLedgerStore.OpenAsync(PathName, TestData.LedgerId);
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(checkpointEvery: 25), new AuditKeyring(_key), new FakeTimeProvider());
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => writer.AppendAsync(TestData.Draft(i))));
    }

    [Fact]
    public async Task File_IsAVerifiableExportAcrossRestarts()
    {
        await WriteAsync(0, 60);
        await WriteAsync(60, 40);

        var report = await AuditExportReader.VerifyFileAsync(PathName, new AuditPublicKeySet([_key.PublicKey]), TestData.LedgerId);

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(100);
        report.UnanchoredEvents.ShouldBe(0);
    }

    [Fact]
    public async Task Store_ReadsBackEventsAndCheckpoints()
    {
        await WriteAsync(0, 50);

        await using var store = await JsonLinesAuditLedgerStore.OpenAsync(PathName, TestData.LedgerId);
        var report = await LedgerVerifier.VerifyStoreAsync(store, TestData.LedgerId, new AuditPublicKeySet([_key.PublicKey]));
        var head = await store.GetHeadAsync();
        var slice = new List<AuditEvent>();
        await foreach (var e in store.ReadEventsAsync(10, 12))
        {
            slice.Add(e);
        }

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        head.ShouldNotBeNull().LastSequence.ShouldBe(50);
        slice.Select(e => e.Sequence).ShouldBe([10L, 11L, 12L]);
        (await store.GetLastCheckpointAsync()).ShouldNotBeNull().ToSequence.ShouldBe(50);
    }

    [Fact]
    public async Task Open_CutsOffATornLastLine()
    {
        await WriteAsync(0, 10);
        var intact = new FileInfo(PathName).Length;
        await File.AppendAllTextAsync(PathName, """{"type":"event","prev":"00""");

        await using (var store = await JsonLinesAuditLedgerStore.OpenAsync(PathName, TestData.LedgerId))
        {
            (await store.GetHeadAsync()).ShouldNotBeNull().LastSequence.ShouldBe(10);
        }

        new FileInfo(PathName).Length.ShouldBe(intact);
    }

    [Fact]
    public async Task Open_RejectsAnotherLedgersFile()
    {
        await WriteAsync(0, 1);

        await Should.ThrowAsync<FormatException>(() => JsonLinesAuditLedgerStore.OpenAsync(PathName, "other-ledger"));
    }

    [Fact]
    public async Task Append_RejectsABatchThatDoesNotContinueTheChain()
    {
        await WriteAsync(0, 3);
        await using var store = await JsonLinesAuditLedgerStore.OpenAsync(PathName, TestData.LedgerId);
        var events = new List<AuditEvent>();
        await foreach (var e in store.ReadEventsAsync(1, 1))
        {
            events.Add(e);
        }

        await Should.ThrowAsync<AuditStoreConflictException>(async () => await store.AppendAsync(events));
    }
}
