using System.Runtime.CompilerServices;
using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Storage;
using Warden.Audit.Verification;

namespace Warden.Audit.Export;

/// <summary>Reads and verifies export files (see <see cref="AuditExportFormat"/>).</summary>
public static class AuditExportReader
{
    /// <summary>
    /// Verifies an export offline with nothing but trusted public keys: every event hash and chain link, every
    /// checkpoint signature and link, and that events reach every checkpoint. Never throws for bad input; problems
    /// are reported in the result.
    /// </summary>
    /// <param name="input">The export stream, positioned at the header.</param>
    /// <param name="keys">Trusted public keys.</param>
    /// <param name="expectedLedgerId">If set, the header must name this ledger.</param>
    /// <param name="expectedLastSequence">
    /// If set, events must reach this sequence. A file cut short together with its trailing checkpoints is
    /// otherwise indistinguishable from a shorter export; pass the sequence of a separately obtained checkpoint.
    /// </param>
    /// <param name="cancellationToken">Cancels reading.</param>
    public static async Task<VerificationReport> VerifyAsync(Stream input, AuditPublicKeySet keys, string? expectedLedgerId = null, long? expectedLastSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(keys);
        var lines = new LineReader(input);
        LedgerVerifier? verifier = null;
        var erasures = new ErasureAccounting();
        long prunedThrough = 0;
        long firstSequence = 1;
        long lineNumber = 0;
        var block = new List<(int Start, int Length)>();
        var parsed = Array.Empty<ParsedLine>();
        while (true)
        {
            // Collect every complete line in the buffer, parse and hash the event lines in parallel, then check in order.
            block.Clear();
            while (lines.TryReadLine(out var start, out var length))
            {
                block.Add((start, length));
            }

            if (parsed.Length < block.Count)
            {
                parsed = new ParsedLine[block.Count];
            }

            var buffer = lines.Buffer;
            var results = parsed;
            ParallelFor(block.Count, i => results[i] = ParseAndHash(buffer.AsSpan(block[i].Start, block[i].Length)));
            for (var i = 0; i < block.Count; i++)
            {
                lineNumber++;
                ref readonly var p = ref parsed[i];
                var line = buffer.AsSpan(block[i].Start, block[i].Length);
                var ok = verifier is not null && p.IsEvent
                    ? verifier.AddHashedEvent(p.Sequence, p.Previous, p.Stored, p.Computed) && (!p.IsRetentionRecord || Account(line, verifier, erasures))
                    : ProcessLine(line, lineNumber, keys, expectedLedgerId, erasures, ref prunedThrough, ref firstSequence, ref verifier);
                if (!ok)
                {
                    return verifier!.Complete(expectedLastSequence);
                }
            }

            if (!await lines.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        if (!lines.Remainder.IsEmpty)
        {
            lineNumber++;
            if (verifier is null || !ProcessLine(lines.Remainder, lineNumber, keys, expectedLedgerId, erasures, ref prunedThrough, ref firstSequence, ref verifier))
            {
                verifier ??= MalformedVerifier(keys, "Missing header.");
                return verifier.Complete(expectedLastSequence);
            }
        }

        verifier ??= MalformedVerifier(keys, "Empty export: no header.");
        var report = verifier.Complete(expectedLastSequence);
        return report.IsIntact && erasures.Complete(prunedThrough, report.LastSequence - report.UnanchoredEvents, wholeLedger: firstSequence == 1 || prunedThrough > 0, firstSequence) is { } unrecorded
            ? report with { Problem = unrecorded }
            : report;
    }

    private static ParsedLine ParseAndHash(ReadOnlySpan<byte> line) =>
        AuditExportFormat.TryParseEventLine(line, out var sequence, out var previous, out var stored, out var canonical)
            ? new ParsedLine(true, sequence, previous, stored, AuditCanonicalJson.ComputeEventHash(previous, canonical), canonical.IndexOf(ErasureAccounting.RecordMarker) >= 0)
            : default;

    /// <summary>Feeds a verified event line that may be a retention record to the erasure accounting.</summary>
    private static bool Account(ReadOnlySpan<byte> line, LedgerVerifier verifier, ErasureAccounting erasures)
    {
        AuditExportFormat.TryParseEventLine(line, out _, out var previous, out var hash, out var canonical);
        return erasures.AddEvent(AuditEventReader.Parse(canonical, previous, hash)) is not { } problem || verifier.ReportMalformed(problem);
    }

    /// <summary>Runs <paramref name="body"/> over [0, count) in contiguous ranges on all cores when worth it.</summary>
    private static void ParallelFor(int count, Action<int> body)
    {
        var workers = Math.Min(Environment.ProcessorCount, count / 64);
        if (workers <= 1)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var end = (int)((long)count * (worker + 1) / workers);
            for (var i = (int)((long)count * worker / workers); i < end; i++)
            {
                body(i);
            }
        });
    }

    private readonly record struct ParsedLine(bool IsEvent, long Sequence, AuditHash Previous, AuditHash Stored, AuditHash Computed, bool IsRetentionRecord);

    /// <summary>Verifies an export file; see <see cref="VerifyAsync"/>.</summary>
    public static async Task<VerificationReport> VerifyFileAsync(string path, AuditPublicKeySet keys, string? expectedLedgerId = null, long? expectedLastSequence = null, CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return await VerifyAsync(stream, keys, expectedLedgerId, expectedLastSequence, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One item of an export, for importing into a store.</summary>
    public abstract record Item;

    /// <summary>The header.</summary>
    public sealed record HeaderItem(AuditExportHeader Header) : Item;

    /// <summary>An event (hashes as stated in the file; not verified by reading).</summary>
    public sealed record EventItem(AuditEvent Event) : Item;

    /// <summary>A checkpoint (not verified by reading).</summary>
    public sealed record CheckpointItem(AuditCheckpoint Checkpoint) : Item;

    /// <summary>An event whose content retention erased (not verified by reading).</summary>
    public sealed record ErasedItem(AuditErasedEntry Erased) : Item;

    /// <summary>Parses an export into items. Does not verify; use <see cref="VerifyAsync"/> for that.</summary>
    /// <exception cref="FormatException">A line is malformed.</exception>
    public static async IAsyncEnumerable<Item> ReadAsync(Stream input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lines = new LineReader(input);
        var items = new List<Item>();
        long lineNumber = 0;
        while (true)
        {
            while (lines.TryReadLine(out var line))
            {
                items.Add(ParseItem(line, ++lineNumber));
            }

            foreach (var item in items)
            {
                yield return item;
            }

            items.Clear();
            if (!await lines.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        if (!lines.Remainder.IsEmpty)
        {
            yield return ParseItem(lines.Remainder, ++lineNumber);
        }
    }

    internal static Item ParseItem(ReadOnlySpan<byte> line, long lineNumber)
    {
        if (AuditExportFormat.TryParseEventLine(line, out _, out var previous, out var hash, out var canonical))
        {
            return new EventItem(AuditEventReader.Parse(canonical, previous, hash));
        }

        if (line.StartsWith(AuditExportFormat.CheckpointPrefix))
        {
            return new CheckpointItem(AuditExportFormat.ParseCheckpointLine(line));
        }

        if (line.StartsWith(AuditExportFormat.ErasedPrefix))
        {
            return new ErasedItem(AuditExportFormat.ParseErasedLine(line));
        }

        if (lineNumber == 1 && line.StartsWith(AuditExportFormat.HeaderPrefix))
        {
            return new HeaderItem(AuditExportFormat.ParseHeaderLine(line));
        }

        throw new FormatException($"Line {lineNumber} is not a header, event or checkpoint line.");
    }

    private static bool ProcessLine(ReadOnlySpan<byte> line, long lineNumber, AuditPublicKeySet keys, string? expectedLedgerId, ErasureAccounting erasures, ref long prunedThrough, ref long firstSequence, ref LedgerVerifier? verifier)
    {
        if (verifier is null)
        {
            return StartFromHeader(line, keys, expectedLedgerId, out verifier, out prunedThrough, out firstSequence);
        }

        if (AuditExportFormat.TryParseEventLine(line, out var sequence, out var previous, out var hash, out var canonical))
        {
            return verifier.AddEncodedEvent(sequence, previous, hash, canonical)
                && (canonical.IndexOf(ErasureAccounting.RecordMarker) < 0 || Account(line, verifier, erasures));
        }

        if (line.StartsWith(AuditExportFormat.ErasedPrefix))
        {
            AuditErasedEntry erased;
            try
            {
                erased = AuditExportFormat.ParseErasedLine(line);
            }
            catch (FormatException ex)
            {
                return verifier.ReportMalformed($"Line {lineNumber}: {ex.Message}");
            }

            erasures.AddErased(erased.Sequence, erased.Hash, erased.ErasedBy);
            return verifier.AddErasedEvent(erased.Sequence, erased.PreviousHash, erased.Hash);
        }

        if (line.StartsWith(AuditExportFormat.CheckpointPrefix))
        {
            AuditCheckpoint checkpoint;
            try
            {
                checkpoint = AuditExportFormat.ParseCheckpointLine(line);
            }
            catch (FormatException ex)
            {
                return verifier.ReportMalformed($"Line {lineNumber}: {ex.Message}");
            }

            if (!AuditExportFormat.IsCanonicalCheckpointLine(line, checkpoint))
            {
                return verifier.ReportMalformed($"Line {lineNumber}: checkpoint is not in canonical form.");
            }

            return verifier.AddCheckpoint(checkpoint);
        }

        return verifier.ReportMalformed($"Line {lineNumber} is not an event or checkpoint line.");
    }

    private static bool StartFromHeader(ReadOnlySpan<byte> line, AuditPublicKeySet keys, string? expectedLedgerId, out LedgerVerifier verifier, out long prunedThrough, out long firstSequence)
    {
        prunedThrough = 0;
        firstSequence = 1;
        AuditExportHeader header;
        try
        {
            header = AuditExportFormat.ParseHeaderLine(line);
        }
        catch (FormatException ex)
        {
            verifier = MalformedVerifier(keys, "Line 1: " + ex.Message);
            return false;
        }

        if (expectedLedgerId is not null && header.LedgerId != expectedLedgerId)
        {
            verifier = MalformedVerifier(keys, $"Export is of ledger '{header.LedgerId}', expected '{expectedLedgerId}'.");
            return false;
        }

        if (header.Genesis != AuditCanonicalJson.ComputeGenesis(header.LedgerId))
        {
            verifier = MalformedVerifier(keys, "Header genesis does not match its ledger id.");
            return false;
        }

        if (header.PrunedThrough > 0 && header.FirstSequence != header.PrunedThrough + 1)
        {
            verifier = MalformedVerifier(keys, $"Header says events 1 to {header.PrunedThrough} were pruned but starts at {header.FirstSequence}.");
            return false;
        }

        prunedThrough = header.PrunedThrough;
        firstSequence = header.FirstSequence;
        verifier = header.PrunedThrough > 0
            ? new LedgerVerifier(header.LedgerId, keys, header.PrunedThrough)
            : header.FirstSequence == 1
                ? new LedgerVerifier(header.LedgerId, keys)
                : new LedgerVerifier(header.Genesis, keys, header.FirstSequence, trustFirstPrevious: true);
        return true;
    }

    private static LedgerVerifier MalformedVerifier(AuditPublicKeySet keys, string message)
    {
        var verifier = new LedgerVerifier(AuditHash.Zero, keys);
        verifier.ReportMalformed(message);
        return verifier;
    }
}
