namespace Warden.Audit.Canonical;

/// <summary>Byte-wise ordinal ordering of UTF-8 strings (equals Unicode code point order).</summary>
internal sealed class Utf8OrdinalComparer : IComparer<byte[]>
{
    public static readonly Utf8OrdinalComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
