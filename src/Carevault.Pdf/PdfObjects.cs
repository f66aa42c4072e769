using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Carevault.Pdf;

/// <summary>A PDF object (ISO 32000-1 §7.3). Instances are immutable once the reader hands them out.</summary>
public abstract class PdfObject
{
    internal PdfObject() { }
}

/// <summary>The null object; also stands in for anything unreadable.</summary>
public sealed class PdfNull : PdfObject
{
    /// <summary>The single instance.</summary>
    public static readonly PdfNull Instance = new();
    private PdfNull() { }
    /// <inheritdoc />
    public override string ToString() => "null";
}

/// <summary>true or false.</summary>
public sealed class PdfBoolean : PdfObject
{
    /// <summary>true.</summary>
    public static readonly PdfBoolean True = new(true);
    /// <summary>false.</summary>
    public static readonly PdfBoolean False = new(false);
    private PdfBoolean(bool value) => Value = value;
    /// <summary>The value.</summary>
    public bool Value { get; }
    /// <inheritdoc />
    public override string ToString() => Value ? "true" : "false";
}

/// <summary>An integer or real number.</summary>
public sealed class PdfNumber(double value, bool isInteger) : PdfObject
{
    /// <summary>The value.</summary>
    public double Value { get; } = value;
    /// <summary>Whether the token had no decimal point.</summary>
    public bool IsInteger { get; } = isInteger;
    /// <summary>The value clamped to <see cref="int"/>.</summary>
    public int IntValue => Value >= int.MaxValue ? int.MaxValue : Value <= int.MinValue ? int.MinValue : (int)Value;
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A name such as <c>/Type</c> (stored without the slash, #xx escapes decoded).</summary>
public sealed class PdfName(string value) : PdfObject
{
    /// <summary>The name without its slash.</summary>
    public string Value { get; } = value;
    /// <inheritdoc />
    public override string ToString() => "/" + Value;
}

/// <summary>A literal or hexadecimal string: raw bytes, decoded only on request.</summary>
public sealed class PdfString(byte[] bytes, bool isHex) : PdfObject
{
    /// <summary>The bytes after escape processing.</summary>
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;
    /// <summary>Whether it was written as &lt;hex&gt;.</summary>
    public bool IsHex { get; } = isHex;
    internal byte[] RawBytes { get; } = bytes;

    /// <summary>Decodes a text string (§7.9.2.2): UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding.</summary>
    public string ToText() => PdfTextString.Decode(RawBytes);
    /// <inheritdoc />
    public override string ToString() => ToText();
}

/// <summary>An array.</summary>
public sealed class PdfArray(List<PdfObject> items) : PdfObject
{
    /// <summary>The items (references unresolved).</summary>
    public IReadOnlyList<PdfObject> Items => items;
    /// <summary>Number of items.</summary>
    public int Count => items.Count;
    /// <summary>The item at <paramref name="index"/>.</summary>
    public PdfObject this[int index] => items[index];
}

/// <summary>A dictionary; keys are names without the slash.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "The PDF specification's own term (ISO 32000-1 §7.3.7).")]
public sealed class PdfDictionary(Dictionary<string, PdfObject> entries) : PdfObject
{
    /// <summary>The entries (references unresolved).</summary>
    public IReadOnlyDictionary<string, PdfObject> Entries => entries;
    /// <summary>The value for <paramref name="key"/>, or null.</summary>
    public PdfObject? Get(string key) => entries.TryGetValue(key, out var v) ? v : null;
    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(string key) => entries.ContainsKey(key);
    /// <summary>The value as a name, if it is a direct name.</summary>
    public string? GetName(string key) => Get(key) is PdfName n ? n.Value : null;
}

/// <summary>An indirect reference <c>n g R</c>.</summary>
public sealed class PdfReference(int objectNumber, int generation) : PdfObject
{
    /// <summary>Object number.</summary>
    public int ObjectNumber { get; } = objectNumber;
    /// <summary>Generation number.</summary>
    public int Generation { get; } = generation;
    /// <inheritdoc />
    public override string ToString() => $"{ObjectNumber} {Generation} R";
}

/// <summary>A stream: its dictionary and its still-encoded bytes (a slice of the input).</summary>
[SuppressMessage("Naming", "CA1711", Justification = "The PDF specification's own term (ISO 32000-1 §7.3.8).")]
public sealed class PdfStream(PdfDictionary dictionary, ReadOnlyMemory<byte> encodedBytes) : PdfObject
{
    /// <summary>The stream dictionary.</summary>
    public PdfDictionary Dictionary { get; } = dictionary;
    /// <summary>The encoded data, exactly as stored.</summary>
    public ReadOnlyMemory<byte> EncodedBytes { get; } = encodedBytes;
}

internal static class PdfTextString
{
    // ISO 32000-1 Annex D.2: PDFDocEncoding differs from Latin-1 in 0x18–0x1F and 0x80–0xA0.
    private static readonly char[] High =
    [
        '\u2022', '\u2020', '\u2021', '\u2026', '\u2014', '\u2013', '\u0192', '\u2044', '\u2039', '\u203A', '\u2212', '\u2030',
        '\u201E', '\u201C', '\u201D', '\u2018', '\u2019', '\u201A', '\u2122', '\uFB01', '\uFB02', '\u0141', '\u0152', '\u0160',
        '\u0178', '\u017D', '\u0131', '\u0142', '\u0153', '\u0161', '\u017E', '\uFFFD', '\u20AC',
    ];
    private static readonly char[] Low = ['\u02D8', '\u02C7', '\u02C6', '\u02D9', '\u02DD', '\u02DB', '\u02DA', '\u02DC'];

    public static string Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 2 && b[0] == 0xFE && b[1] == 0xFF)
            return Encoding.BigEndianUnicode.GetString(b[2..(2 + ((b.Length - 2) & ~1))]);
        if (b.Length >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
            return Encoding.UTF8.GetString(b[3..]);
        var sb = new StringBuilder(b.Length);
        foreach (var c in b)
        {
            if (c >= 0x80 && c <= 0xA0) sb.Append(High[c - 0x80]);
            else if (c >= 0x18 && c <= 0x1F) sb.Append(Low[c - 0x18]);
            else sb.Append((char)c);
        }
        return sb.ToString();
    }
}
