using System.Text;
using Warden.Audit.Canonical;
using Warden.Audit.Export;
using Warden.Audit.Signing;
using Warden.Audit.Storage;
using Warden.Audit.Verification;

namespace Warden.Audit.Tests;

public sealed class ExportTests : IAsyncLifetime
{
    private readonly AuditSigningKey _key = AuditSigningKey.Generate();
    private AuditKeyring _keyring = null!;
    private InMemoryAuditLedgerStore _store = null!;
    private byte[] _export = [];

    private AuditPublicKeySet Keys => AuditPublicKeySet.From(_keyring);

    public async Task InitializeAsync()
    {
        _keyring = new AuditKeyring(_key);
        _store = await TestData.LedgerAsync(300, _keyring, checkpointEvery: 40);
        using var output = new MemoryStream();
        await AuditExporter.ExportAsync(_store, output, TestData.LedgerId, timeProvider: new FakeTimeProvider());
        _export = output.ToArray();
    }

    public Task DisposeAsync()
    {
        _key.Dispose();
        return Task.CompletedTask;
    }

    private async Task<VerificationReport> VerifyAsync(byte[] bytes, long? expectedLastSequence = null)
    {
        using var input = new MemoryStream(bytes);
        return await AuditExportReader.VerifyAsync(input, Keys, TestData.LedgerId, expectedLastSequence);
    }

    private List<string> Lines() => Encoding.UTF8.GetString(_export).TrimEnd('\n').Split('\n').ToList();

    private static byte[] Join(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    [Fact]
    public async Task Export_WritesHeaderEventsAndCheckpointsThatVerify()
    {
        var lines = Lines();

        lines[0].ShouldStartWith("""{"type":"header","format":"warden-audit-export","version":1,"ledger_id":"ledger-test","genesis":""");
        lines[1].ShouldStartWith("""{"type":"event","prev":""");
        lines.Count(l => l.StartsWith("""{"type":"checkpoint""", StringComparison.Ordinal)).ShouldBe(_store.Checkpoints.Count);
        var report = await VerifyAsync(_export);
        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(300);
        report.CheckpointsVerified.ShouldBe(_store.Checkpoints.Count);
    }

    [Fact]
    public async Task Export_EventLinesEmbedTheCanonicalBytesVerbatim()
    {
        var line = Encoding.UTF8.GetBytes(Lines()[1]);

        AuditExportFormat.TryParseEventLine(line, out var sequence, out var previous, out var hash, out var canonical).ShouldBeTrue();

        sequence.ShouldBe(1);
        canonical.ToArray().ShouldBe(AuditCanonicalJson.EncodeEvent(_store.Events[0]));
        previous.ShouldBe(_store.Events[0].PreviousHash);
        hash.ShouldBe(_store.Events[0].Hash);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Read_RoundTripsEventsAndCheckpointsIntoAnotherStore()
    {
        var copy = new InMemoryAuditLedgerStore();
        using var input = new MemoryStream(_export);
        await foreach (var item in AuditExportReader.ReadAsync(input))
        {
            switch (item)
            {
                case AuditExportReader.EventItem e:
                    await copy.AppendAsync([e.Event]);
                    break;
                case AuditExportReader.CheckpointItem c:
                    await copy.AppendCheckpointAsync(c.Checkpoint);
                    break;
            }
        }

        copy.Events.Select(e => e.Hash).ShouldBe(_store.Events.Select(e => e.Hash));
        copy.Checkpoints.ShouldBe(_store.Checkpoints);
        (await LedgerVerifier.VerifyStoreAsync(copy, TestData.LedgerId, Keys)).IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task Verify_AcceptsAPartialExport()
    {
        using var output = new MemoryStream();
        await AuditExporter.ExportAsync(_store, output, TestData.LedgerId, fromSequence: 101, toSequence: 200);

        var report = await VerifyAsync(output.ToArray());

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(100);
    }

    [Fact]
    public async Task Verify_DetectsAFileCutShortWhenTheExpectedEndIsKnown()
    {
        var lines = Lines().Take(120);

        var report = await VerifyAsync(Join(lines), expectedLastSequence: 300);

        report.Problem.ShouldNotBeNull().Kind.ShouldBe(VerificationProblemKind.TruncatedTail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json\n")]
    [InlineData("""{"type":"header","format":"something-else","version":1}""")]
    public async Task Verify_ReportsMalformedInputWithoutThrowing(string text)
    {
        var report = await VerifyAsync(Encoding.UTF8.GetBytes(text));

        report.Problem.ShouldNotBeNull().Kind.ShouldBe(VerificationProblemKind.Malformed);
    }

    [Fact]
    public async Task Verify_DetectsEveryRandomMutation()
    {
        var random = new Random(20261121);
        var original = Lines();
        var eventLines = Enumerable.Range(1, original.Count - 1).Where(i => original[i].StartsWith("""{"type":"event""", StringComparison.Ordinal)).ToArray();
        var checkpointLines = Enumerable.Range(1, original.Count - 1).Where(i => original[i].StartsWith("""{"type":"checkpoint""", StringComparison.Ordinal)).ToArray();
        var tried = new Dictionary<string, int>();

        for (var round = 0; round < 700; round++)
        {
            var lines = original.ToList();
            var mutation = (round % 7) switch
            {
                0 => ChangeEventByte(lines, eventLines, random),
                1 => ChangeCheckpointByte(lines, checkpointLines, random),
                2 => DeleteEvent(lines, eventLines, random),
                3 => DuplicateEvent(lines, eventLines, random),
                4 => SwapAdjacentEvents(lines, random),
                5 => TruncatePastCheckpoint(lines, eventLines, random),
                _ => InsertForgedEvent(lines, eventLines, random),
            };
            tried[mutation] = tried.GetValueOrDefault(mutation) + 1;

            var report = await VerifyAsync(Join(lines));

            report.IsIntact.ShouldBeFalse($"Round {round}: mutation '{mutation}' went undetected.");
        }

        tried.Count.ShouldBe(7);
    }

    [Fact]
    public async Task Verify_RejectsNonCanonicalBase64ThatDecodesToTheSameSignature()
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var lines = Lines();
        var index = lines.FindIndex(l => l.StartsWith("""{"type":"checkpoint""", StringComparison.Ordinal));
        var marker = "==\",\"checkpoint\":";
        var at = lines[index].IndexOf(marker, StringComparison.Ordinal) - 1;

        // The last data character of a 64-byte signature carries 4 unused bits; flipping one leaves the bytes as they were.
        var flipped = Alphabet[Alphabet.IndexOf(lines[index][at], StringComparison.Ordinal) ^ 1];
        lines[index] = lines[index][..at] + flipped + lines[index][(at + 1)..];

        var report = await VerifyAsync(Join(lines));

        report.Problem.ShouldNotBeNull().Kind.ShouldBe(VerificationProblemKind.Malformed);
    }

    [Fact]
    public async Task Verify_DetectsEverySingleByteChangeOutsideTheHeader()
    {
        var store = await TestData.LedgerAsync(12, _keyring, checkpointEvery: 4);
        using var output = new MemoryStream();
        await AuditExporter.ExportAsync(store, output, TestData.LedgerId);
        var original = output.ToArray();
        var bodyStart = Array.IndexOf(original, (byte)'\n') + 1;
        var random = new Random(7);
        var undetected = new List<string>();

        for (var position = bodyStart; position < original.Length; position++)
        {
            var bytes = (byte[])original.Clone();
            bytes[position] = original[position] switch
            {
                >= (byte)'0' and < (byte)'9' => (byte)(original[position] + 1),
                (byte)'9' => (byte)'0',
                >= (byte)'a' and < (byte)'z' => (byte)(original[position] + 1),
                (byte)'\n' => (byte)' ',
                _ => Different(original[position], random),
            };

            if ((await VerifyAsync(bytes)).IsIntact)
            {
                undetected.Add($"{position}: '{(char)original[position]}' -> '{(char)bytes[position]}'");
            }
        }

        undetected.ShouldBeEmpty();
    }

    private static string ChangeEventByte(List<string> lines, int[] eventLines, Random random)
    {
        var index = eventLines[random.Next(eventLines.Length)];
        var bytes = Encoding.UTF8.GetBytes(lines[index]);
        var canonicalStart = bytes.AsSpan().IndexOf("\"event\":"u8) + 8;
        var position = random.Next(canonicalStart, bytes.Length - 1);
        bytes[position] = Different(bytes[position], random);
        lines[index] = Encoding.Latin1.GetString(bytes);
        return "change event byte";
    }

    private static string ChangeCheckpointByte(List<string> lines, int[] checkpointLines, Random random)
    {
        var index = checkpointLines[random.Next(checkpointLines.Length)];
        var bytes = Encoding.ASCII.GetBytes(lines[index]);
        var position = random.Next("{\"type\":\"checkpoint\",".Length, bytes.Length - 1);
        bytes[position] = Different(bytes[position], random);
        lines[index] = Encoding.Latin1.GetString(bytes);
        return "change checkpoint byte";
    }

    private static string DeleteEvent(List<string> lines, int[] eventLines, Random random)
    {
        lines.RemoveAt(eventLines[random.Next(eventLines.Length)]);
        return "delete event";
    }

    private static string DuplicateEvent(List<string> lines, int[] eventLines, Random random)
    {
        var source = eventLines[random.Next(eventLines.Length)];
        lines.Insert(random.Next(1, lines.Count + 1), lines[source]);
        return "duplicate event";
    }

    private static string SwapAdjacentEvents(List<string> lines, Random random)
    {
        while (true)
        {
            var i = random.Next(1, lines.Count - 1);
            if (lines[i].StartsWith("""{"type":"event""", StringComparison.Ordinal) && lines[i + 1].StartsWith("""{"type":"event""", StringComparison.Ordinal))
            {
                (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]);
                return "swap adjacent events";
            }
        }
    }

    private static string TruncatePastCheckpoint(List<string> lines, int[] eventLines, Random random)
    {
        // Drop all events after a random point but keep the checkpoint lines, as when rows vanish from a table.
        var cut = eventLines[random.Next(eventLines.Length - 1)];
        for (var i = lines.Count - 1; i > cut; i--)
        {
            if (lines[i].StartsWith("""{"type":"event""", StringComparison.Ordinal))
            {
                lines.RemoveAt(i);
            }
        }

        return "truncate past checkpoint";
    }

    private static string InsertForgedEvent(List<string> lines, int[] eventLines, Random random)
    {
        // A well-formed event with a correct hash, chained to its predecessor, slipped in before the real one.
        var position = random.Next(1, eventLines.Length);
        var predecessorLine = Encoding.UTF8.GetBytes(lines[eventLines[position - 1]]);
        AuditExportFormat.TryParseEventLine(predecessorLine, out var predecessorSequence, out _, out var predecessorHash, out _).ShouldBeTrue();
        var forged = new AuditEvent
        {
            Sequence = predecessorSequence + 1,
            Timestamp = DateTimeOffset.UnixEpoch,
            OrgId = "org-1",
            Actor = new AuditActor(ActorKind.User, "mallory"),
            Source = AuditSource.Warden,
            Action = "auth.login",
            Outcome = AuditOutcome.Success,
            PreviousHash = predecessorHash,
            Hash = default,
        };
        forged = forged with { Hash = AuditCanonicalJson.ComputeEventHash(forged) };
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        AuditExportFormat.WriteEventLine(forged, writer);
        lines.Insert(eventLines[position], Encoding.UTF8.GetString(writer.WrittenSpan).TrimEnd('\n'));
        return "insert forged event";
    }

    private static byte Different(byte value, Random random)
    {
        byte replacement;
        do
        {
            replacement = (byte)random.Next(0x20, 0x7F);
        }
        while (replacement == value);
        return replacement;
    }
}
