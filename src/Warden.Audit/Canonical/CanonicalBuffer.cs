using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Warden.Audit.Canonical;

/// <summary>
/// A growable byte buffer with just the JSON primitives the canonical encoding needs. Hand-written rather
/// than <see cref="Utf8JsonWriter"/> so the escaping rules are ours (fully specified, stable across runtime
/// versions) and so encoding is a straight copy loop. Instances are reused per thread via <see cref="Rent"/>.
/// </summary>
internal sealed class CanonicalBuffer
{
    private const int InitialSize = 2048;

    // Larger buffers are dropped on return so one huge event does not pin memory on a thread forever.
    private const int MaxRetainedSize = 256 * 1024;

    [ThreadStatic]
    private static CanonicalBuffer? _threadCached;

    private byte[] _buffer = new byte[InitialSize];
    private int _length;
    private List<JsonProperty>? _propertyScratch;

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>The whole backing array; the first <see cref="Length"/> bytes are written.</summary>
    public byte[] RawBuffer => _buffer;

    public static CanonicalBuffer Rent()
    {
        var buffer = _threadCached ?? new CanonicalBuffer();
        _threadCached = null;
        buffer._length = 0;
        return buffer;
    }

    public static void Return(CanonicalBuffer buffer)
    {
        if (buffer._buffer.Length <= MaxRetainedSize)
        {
            _threadCached = buffer;
        }
    }

    public void Clear() => _length = 0;

    /// <summary>Reserves <paramref name="count"/> bytes at the start (e.g. for a hash prefix) to fill in later.</summary>
    public Span<byte> Reserve(int count)
    {
        var span = GetSpan(count)[..count];
        _length += count;
        return span;
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    public void Byte(byte b)
    {
        GetSpan(1)[0] = b;
        _length++;
    }

    public void Int64(long value)
    {
        Utf8Formatter.TryFormat(value, GetSpan(20), out var written);
        _length += written;
    }

    public void Hex(in AuditHash hash)
    {
        var span = GetSpan(AuditHash.HexLength + 2);
        span[0] = (byte)'"';
        hash.WriteHexUtf8(span.Slice(1, AuditHash.HexLength));
        span[AuditHash.HexLength + 1] = (byte)'"';
        _length += AuditHash.HexLength + 2;
    }

    /// <summary>UTC time as a quoted <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (always 24 characters).</summary>
    public void Time(DateTimeOffset value)
    {
        var span = GetSpan(26);
        span[0] = (byte)'"';
        value.UtcDateTime.TryFormat(span[1..], out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        span[written + 1] = (byte)'"';
        _length += written + 2;
    }

    public void Decimal(decimal value)
    {
        // Dividing by 1.000...m strips trailing zeros so 1.50m and 1.5m encode identically.
        var normalized = value / 1.000000000000000000000000000000000m;
        var span = GetSpan(40);
        span[0] = (byte)'"';
        normalized.TryFormat(span[1..], out var written, "G", CultureInfo.InvariantCulture);
        span[written + 1] = (byte)'"';
        _length += written + 2;
    }

    /// <summary>A quoted, escaped string.</summary>
    public void String(string value)
    {
        // Fast path: transcode straight into the buffer, then escape only if a byte needs it.
        var max = Encoding.UTF8.GetMaxByteCount(value.Length) + 2;
        var span = GetSpan(max);
        span[0] = (byte)'"';
        var written = Encoding.UTF8.GetBytes(value, span[1..]);
        var content = span.Slice(1, written);
        if (content.IndexOfAny(NeedsEscape) < 0)
        {
            span[written + 1] = (byte)'"';
            _length += written + 2;
            return;
        }

        // Rare: copy out the unescaped bytes and write them escaped.
        var rented = ArrayPool<byte>.Shared.Rent(written);
        try
        {
            content.CopyTo(rented);
            EscapedUtf8(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Quoted, escaped form of already-unescaped UTF-8 bytes.</summary>
    public void EscapedUtf8(ReadOnlySpan<byte> utf8)
    {
        Byte((byte)'"');
        while (!utf8.IsEmpty)
        {
            var next = utf8.IndexOfAny(NeedsEscape);
            if (next < 0)
            {
                Raw(utf8);
                break;
            }

            Raw(utf8[..next]);
            var b = utf8[next];
            switch (b)
            {
                case (byte)'"': Raw("\\\""u8); break;
                case (byte)'\\': Raw("\\\\"u8); break;
                case (byte)'\b': Raw("\\b"u8); break;
                case (byte)'\f': Raw("\\f"u8); break;
                case (byte)'\n': Raw("\\n"u8); break;
                case (byte)'\r': Raw("\\r"u8); break;
                case (byte)'\t': Raw("\\t"u8); break;
                default:
                    Raw("\\u00"u8);
                    Byte(HexDigit(b >> 4));
                    Byte(HexDigit(b & 0xF));
                    break;
            }

            utf8 = utf8[(next + 1)..];
        }

        Byte((byte)'"');
    }

    /// <summary>Writes a JSON value in canonical form: sorted keys, normalised numbers, minimal escaping.</summary>
    public void Json(JsonElement element, int depth = 0)
    {
        if (depth > AuditCanonicalJson.MaxDetailsDepth)
        {
            throw new FormatException($"Details nest deeper than {AuditCanonicalJson.MaxDetailsDepth} levels.");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                Object(element, depth);
                break;
            case JsonValueKind.Array:
                Byte((byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        Byte((byte)',');
                    }

                    first = false;
                    Json(item, depth + 1);
                }

                Byte((byte)']');
                break;
            case JsonValueKind.String:
                StringElement(element);
                break;
            case JsonValueKind.Number:
                Number(element);
                break;
            case JsonValueKind.True:
                Raw("true"u8);
                break;
            case JsonValueKind.False:
                Raw("false"u8);
                break;
            case JsonValueKind.Null:
                Raw("null"u8);
                break;
            default:
                throw new FormatException($"Unsupported JSON value kind {element.ValueKind}.");
        }
    }

    private void Object(JsonElement element, int depth)
    {
        // Common case (details we canonicalised before, or small hand-built objects): keys already in order,
        // so write straight through without sorting or allocating.
        var sorted = true;
        var escaped = false;
        var count = 0;
        ReadOnlySpan<byte> previous = default;
        foreach (var property in element.EnumerateObject())
        {
            var name = JsonMarshal.GetRawUtf8PropertyName(property);
            if (name.Contains((byte)'\\'))
            {
                sorted = false;
                escaped = true;
                break;
            }

            if (count > 0 && previous.SequenceCompareTo(name) >= 0)
            {
                sorted = false;
            }

            previous = name;
            count++;
        }

        Byte((byte)'{');
        if (!sorted && !escaped && count <= SmallObject)
        {
            // Out of order but no escapes (e.g. details built from a dictionary): the raw names are their UTF-8
            // bytes, so a stable insertion sort on them gives the same order as the general path below, without
            // decoding names or allocating per property.
            WriteSmallUnsorted(element, count, depth);
        }
        else if (sorted)
        {
            var first = true;
            foreach (var property in element.EnumerateObject())
            {
                if (!first)
                {
                    Byte((byte)',');
                }

                first = false;
                Byte((byte)'"');
                Raw(JsonMarshal.GetRawUtf8PropertyName(property));
                Raw("\":"u8);
                Json(property.Value, depth + 1);
            }
        }
        else
        {
            var scratch = _propertyScratch ?? [];
            _propertyScratch = null;
            var start = scratch.Count;
            try
            {
                foreach (var property in element.EnumerateObject())
                {
                    scratch.Add(property);
                }

                var entries = new (byte[] Name, JsonProperty Property)[scratch.Count - start];
                for (var i = 0; i < entries.Length; i++)
                {
                    entries[i] = (Encoding.UTF8.GetBytes(scratch[start + i].Name), scratch[start + i]);
                }

                // Stable: duplicate names (which drafts reject anyway) keep their input order.
                var ordered = entries.OrderBy(e => e.Name, Utf8OrdinalComparer.Instance).ToArray();
                for (var i = 0; i < ordered.Length; i++)
                {
                    if (i > 0)
                    {
                        Byte((byte)',');
                    }

                    EscapedUtf8(ordered[i].Name);
                    Byte((byte)':');
                    Json(ordered[i].Property.Value, depth + 1);
                }
            }
            finally
            {
                scratch.RemoveRange(start, scratch.Count - start);
                _propertyScratch = scratch;
            }
        }

        Byte((byte)'}');
    }

    private const int SmallObject = 32;

    private void WriteSmallUnsorted(JsonElement element, int count, int depth)
    {
        var scratch = _propertyScratch ?? [];
        _propertyScratch = null;
        var start = scratch.Count;
        try
        {
            foreach (var property in element.EnumerateObject())
            {
                scratch.Add(property);
            }

            var properties = CollectionsMarshal.AsSpan(scratch).Slice(start, count);
            for (var i = 1; i < properties.Length; i++)
            {
                var current = properties[i];
                var name = JsonMarshal.GetRawUtf8PropertyName(current);
                var j = i - 1;

                // Strictly greater moves: equal names (which drafts reject anyway) keep their input order.
                while (j >= 0 && JsonMarshal.GetRawUtf8PropertyName(properties[j]).SequenceCompareTo(name) > 0)
                {
                    properties[j + 1] = properties[j];
                    j--;
                }

                properties[j + 1] = current;
            }

            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    Byte((byte)',');
                }

                // The list is not touched by the nested calls (they take their own), so indexing stays valid.
                var property = scratch[start + i];
                Byte((byte)'"');
                Raw(JsonMarshal.GetRawUtf8PropertyName(property));
                Raw("\":"u8);
                Json(property.Value, depth + 1);
            }
        }
        finally
        {
            scratch.RemoveRange(start, scratch.Count - start);
            _propertyScratch = scratch;
        }
    }

    private void StringElement(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);

        // Without a backslash the raw token already is the canonical form: JSON forbids unescaped
        // control characters and quotes inside strings, and we never escape anything else.
        if (!raw.Contains((byte)'\\'))
        {
            Raw(raw);
            return;
        }

        String(element.GetString()!);
    }

    private void Number(JsonElement element)
    {
        if (element.TryGetInt64(out var integer))
        {
            Int64(integer);
            return;
        }

        if (!element.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            throw new FormatException("Details contain a number outside the range of a double.");
        }

        if (d == 0)
        {
            Byte((byte)'0');
            return;
        }

        if (Math.Abs(d) < 9007199254740992d && Math.Floor(d) == d)
        {
            Int64((long)d);
            return;
        }

        d.TryFormat(GetSpan(32), out var written, "R", CultureInfo.InvariantCulture);
        _length += written;
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);

    private Span<byte> GetSpan(int size)
    {
        if (_buffer.Length - _length < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }

        return _buffer.AsSpan(_length);
    }

    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);
}
