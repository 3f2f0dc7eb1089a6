using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Warden.Audit.Canonical;
using Warden.Audit.Storage;

namespace Warden.Audit.Export;

/// <summary>
/// The JSON-lines export format (also the on-disk format of <see cref="Storage.JsonLinesAuditLedgerStore"/>).
/// UTF-8, one JSON object per line, lines end with <c>\n</c>:
/// <code>
/// {"type":"header","format":"warden-audit-export","version":1,"ledger_id":S,"genesis":H,"first_sequence":N,"exported_at":T}
/// {"type":"event","prev":H,"hash":H,"event":CANONICAL_EVENT}
/// {"type":"checkpoint","signature":BASE64,"checkpoint":CANONICAL_CHECKPOINT}
/// {"type":"erased","seq":N,"prev":H,"hash":H,"erased_by":N}
/// </code>
/// <para>An <c>erased</c> line stands for an event whose content retention erased (see
/// <see cref="Verification.ErasureAccounting"/>). A header of a pruned ledger adds <c>"pruned_through":N</c> after
/// <c>first_sequence</c>; its checkpoints from the first then come before the first event.</para>
/// <para>Event lines have a fixed layout so a verifier can hash the embedded canonical event bytes verbatim without
/// parsing them; <c>CANONICAL_EVENT</c> and <c>CANONICAL_CHECKPOINT</c> are exactly the bytes described on
/// <see cref="AuditCanonicalJson"/>. A checkpoint line follows the event line of its <c>to</c> sequence.
/// <c>H</c> is 64 lowercase hex digits in quotes; <c>BASE64</c> is the quoted standard base64 of the IEEE P1363 signature.</para>
/// </summary>
public static class AuditExportFormat
{
    /// <summary>Value of the header's <c>format</c> field.</summary>
    public const string FormatName = "warden-audit-export";

    internal static ReadOnlySpan<byte> EventPrefix => "{\"type\":\"event\",\"prev\":\""u8;

    internal static ReadOnlySpan<byte> HashInfix => "\",\"hash\":\""u8;

    internal static ReadOnlySpan<byte> EventInfix => "\",\"event\":"u8;

    internal static ReadOnlySpan<byte> CheckpointPrefix => "{\"type\":\"checkpoint\","u8;

    internal static ReadOnlySpan<byte> HeaderPrefix => "{\"type\":\"header\","u8;

    internal static ReadOnlySpan<byte> ErasedPrefix => "{\"type\":\"erased\","u8;

    internal static ReadOnlySpan<byte> CanonicalSequencePrefix => "{\"v\":1,\"seq\":"u8;

    // Offsets inside an event line.
    internal static int PrevOffset => EventPrefix.Length;

    internal static int HashOffset => PrevOffset + AuditHash.HexLength + HashInfix.Length;

    internal static int CanonicalOffset => HashOffset + AuditHash.HexLength + EventInfix.Length;

    /// <summary>Writes an event line (including the trailing newline).</summary>
    public static void WriteEventLine(AuditEvent auditEvent, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = CanonicalBuffer.Rent();
        try
        {
            WriteEventLine(auditEvent, buffer);
            output.Write(buffer.WrittenSpan);
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    internal static void WriteEventLine(AuditEvent auditEvent, CanonicalBuffer buffer)
    {
        buffer.Raw(EventPrefix);
        auditEvent.PreviousHash.WriteHexUtf8(buffer.Reserve(AuditHash.HexLength));
        buffer.Raw(HashInfix);
        auditEvent.Hash.WriteHexUtf8(buffer.Reserve(AuditHash.HexLength));
        buffer.Raw(EventInfix);
        AuditCanonicalJson.WriteEvent(auditEvent, buffer);
        buffer.Raw("}\n"u8);
    }

    /// <summary>Writes a checkpoint line (including the trailing newline).</summary>
    public static void WriteCheckpointLine(AuditCheckpoint checkpoint, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(output);
        output.Write("{\"type\":\"checkpoint\",\"signature\":\""u8);
        output.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(checkpoint.Signature.Span)));
        output.Write("\",\"checkpoint\":"u8);
        output.Write(AuditCanonicalJson.EncodeCheckpoint(checkpoint));
        output.Write("}\n"u8);
    }

    /// <summary>Writes the header line (including the trailing newline).</summary>
    public static void WriteHeaderLine(AuditExportHeader header, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = CanonicalBuffer.Rent();
        try
        {
            buffer.Raw("{\"type\":\"header\",\"format\":\""u8);
            buffer.Raw(FormatNameUtf8);
            buffer.Raw("\",\"version\":1,\"ledger_id\":"u8);
            buffer.String(header.LedgerId);
            buffer.Raw(",\"genesis\":"u8);
            buffer.Hex(header.Genesis);
            buffer.Raw(",\"first_sequence\":"u8);
            buffer.Int64(header.FirstSequence);
            if (header.PrunedThrough > 0)
            {
                buffer.Raw(",\"pruned_through\":"u8);
                buffer.Int64(header.PrunedThrough);
            }

            buffer.Raw(",\"exported_at\":"u8);
            buffer.Time(header.ExportedAt);
            buffer.Raw("}\n"u8);
            output.Write(buffer.WrittenSpan);
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary>
    /// Splits an event line (without its newline) into its parts without parsing the event JSON. Hashes must be
    /// lowercase hex, as written.
    /// </summary>
    public static bool TryParseEventLine(ReadOnlySpan<byte> line, out long sequence, out AuditHash previousHash, out AuditHash hash, out ReadOnlySpan<byte> canonical)
    {
        sequence = 0;
        previousHash = default;
        hash = default;
        canonical = default;
        if (line.Length < CanonicalOffset + CanonicalSequencePrefix.Length + 2
            || !line.StartsWith(EventPrefix)
            || !line.Slice(PrevOffset + AuditHash.HexLength, HashInfix.Length).SequenceEqual(HashInfix)
            || !line.Slice(HashOffset + AuditHash.HexLength, EventInfix.Length).SequenceEqual(EventInfix)
            || line[^1] != (byte)'}'
            || line.Slice(PrevOffset, CanonicalOffset - PrevOffset).IndexOfAnyInRange((byte)'A', (byte)'F') >= 0
            || !AuditHash.TryParseHex(line.Slice(PrevOffset, AuditHash.HexLength), out previousHash)
            || !AuditHash.TryParseHex(line.Slice(HashOffset, AuditHash.HexLength), out hash))
        {
            return false;
        }

        canonical = line[CanonicalOffset..^1];
        if (!canonical.StartsWith(CanonicalSequencePrefix)
            || !Utf8Parser.TryParse(canonical[CanonicalSequencePrefix.Length..], out sequence, out var consumed)
            || consumed == 0
            || canonical[CanonicalSequencePrefix.Length + consumed] != (byte)',')
        {
            return false;
        }

        return true;
    }

    /// <summary>Parses a checkpoint line (without its newline).</summary>
    /// <exception cref="FormatException">Not a well-formed checkpoint line.</exception>
    public static AuditCheckpoint ParseCheckpointLine(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.GetProperty("type").GetString() != "checkpoint")
            {
                throw new FormatException("Not a checkpoint line.");
            }

            var signatureText = root.GetProperty("signature").GetString()!;
            var signature = Convert.FromBase64String(signatureText);

            // Base64 decoders ignore the unused low bits of the last character; insist on the one canonical spelling
            // so that no byte of an export can change without detection.
            if (Convert.ToBase64String(signature) != signatureText)
            {
                throw new FormatException("Signature is not canonical base64.");
            }

            var c = root.GetProperty("checkpoint");
            if (c.GetProperty("v").GetInt32() != AuditCanonicalJson.Version)
            {
                throw new FormatException("Unsupported checkpoint version.");
            }

            return new AuditCheckpoint
            {
                LedgerId = c.GetProperty("ledger").GetString()!,
                FromSequence = c.GetProperty("from").GetInt64(),
                ToSequence = c.GetProperty("to").GetInt64(),
                LastEventHash = AuditHash.ParseHex(c.GetProperty("last_hash").GetString()!),
                PreviousCheckpointHash = AuditHash.ParseHex(c.GetProperty("prev_checkpoint").GetString()!),
                Timestamp = ParseTime(c.GetProperty("time").GetString()!),
                KeyId = c.GetProperty("key_id").GetString()!,
                Signature = signature,
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentNullException)
        {
            throw new FormatException("Malformed checkpoint line: " + ex.Message, ex);
        }
    }

    /// <summary>
    /// True when the checkpoint object embedded in <paramref name="line"/> is byte-for-byte the canonical encoding of
    /// <paramref name="checkpoint"/> (what was signed), and the line has exactly the layout the writer produces.
    /// </summary>
    public static bool IsCanonicalCheckpointLine(ReadOnlySpan<byte> line, AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var expected = new ArrayBufferWriter<byte>(512);
        WriteCheckpointLine(checkpoint, expected);
        return line.SequenceEqual(expected.WrittenSpan[..^1]);
    }

    /// <summary>Writes an erased-event line (including the trailing newline).</summary>
    public static void WriteErasedLine(AuditErasedEntry erased, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(erased);
        ArgumentNullException.ThrowIfNull(output);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{{\"type\":\"erased\",\"seq\":{erased.Sequence},\"prev\":\"{erased.PreviousHash}\",\"hash\":\"{erased.Hash}\",\"erased_by\":{erased.ErasedBy}}}\n");
        output.Write(System.Text.Encoding.ASCII.GetBytes(text));
    }

    /// <summary>Parses an erased-event line (without its newline).</summary>
    /// <exception cref="FormatException">Not a well-formed erased line.</exception>
    public static AuditErasedEntry ParseErasedLine(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.GetProperty("type").GetString() != "erased")
            {
                throw new FormatException("Not an erased line.");
            }

            return new AuditErasedEntry(
                root.GetProperty("seq").GetInt64(),
                AuditHash.ParseHex(root.GetProperty("prev").GetString()!),
                AuditHash.ParseHex(root.GetProperty("hash").GetString()!),
                root.GetProperty("erased_by").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentNullException or ArgumentException)
        {
            throw new FormatException("Malformed erased line: " + ex.Message, ex);
        }
    }

    /// <summary>Parses the header line (without its newline).</summary>
    /// <exception cref="FormatException">Not a well-formed header.</exception>
    public static AuditExportHeader ParseHeaderLine(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.GetProperty("type").GetString() != "header" || root.GetProperty("format").GetString() != FormatName || root.GetProperty("version").GetInt32() != 1)
            {
                throw new FormatException("Not a version-1 Warden audit export header.");
            }

            return new AuditExportHeader(
                root.GetProperty("ledger_id").GetString()!,
                AuditHash.ParseHex(root.GetProperty("genesis").GetString()!),
                root.GetProperty("first_sequence").GetInt64(),
                ParseTime(root.GetProperty("exported_at").GetString()!),
                root.TryGetProperty("pruned_through", out var pruned) ? pruned.GetInt64() : 0);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentNullException)
        {
            throw new FormatException("Malformed export header: " + ex.Message, ex);
        }
    }

    internal static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static ReadOnlySpan<byte> FormatNameUtf8 => "warden-audit-export"u8;
}
