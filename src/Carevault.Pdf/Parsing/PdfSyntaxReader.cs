using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace Carevault.Pdf.Parsing;

/// <summary>
/// Tokenizer and object parser for PDF syntax (ISO 32000-1 §7.2–7.3), over a span with a cursor.
/// Lenient like poppler: unknown keywords inside containers become null, unbalanced containers end at end of data.
/// Invariant: every loop iteration consumes at least one byte, so no input can make it spin.
/// </summary>
internal ref struct PdfSyntaxReader
{
    private static readonly SearchValues<byte> Delimiters = SearchValues.Create("()<>[]{}/%"u8);
    private static readonly SearchValues<byte> WhitespaceOrDelimiter = SearchValues.Create("\0\t\n\f\r ()<>[]{}/%"u8);

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxDepth;

    public PdfSyntaxReader(ReadOnlySpan<byte> data, int position, int maxDepth)
    {
        _data = data;
        Position = Math.Clamp(position, 0, data.Length);
        _maxDepth = maxDepth;
    }

    public int Position { get; set; }
    public readonly bool AtEnd => Position >= _data.Length;
    public readonly ReadOnlySpan<byte> Data => _data;

    public static bool IsWhitespace(byte b) => b is 0 or 9 or 10 or 12 or 13 or 32;
    public static bool IsDelimiter(byte b) => Delimiters.Contains(b);
    public static bool IsRegular(byte b) => !WhitespaceOrDelimiter.Contains(b);

    public void SkipWhitespaceAndComments()
    {
        while (Position < _data.Length)
        {
            var b = _data[Position];
            if (IsWhitespace(b)) { Position++; continue; }
            if (b == '%')
            {
                var rest = _data[Position..];
                var eol = rest.IndexOfAny((byte)'\r', (byte)'\n');
                Position = eol < 0 ? _data.Length : Position + eol;
                continue;
            }
            break;
        }
    }

    /// <summary>Reads a run of regular characters (a keyword or number) without consuming anything else.</summary>
    public ReadOnlySpan<byte> ReadRegularToken()
    {
        var start = Position;
        var rest = _data[Position..];
        var end = rest.IndexOfAny(WhitespaceOrDelimiter);
        Position = end < 0 ? _data.Length : Position + end;
        return _data[start..Position];
    }

    /// <summary>Next object, or a keyword (operator) when the next token is a bare word that is not true/false/null/a number.</summary>
    public PdfObject? ReadObjectOrKeyword(out ReadOnlySpan<byte> keyword)
    {
        keyword = default;
        SkipWhitespaceAndComments();
        if (AtEnd) return null;
        var b = _data[Position];
        switch (b)
        {
            case (byte)'/': return ReadName();
            case (byte)'(': return ReadLiteralString();
            case (byte)'[': return ReadArray(0);
            case (byte)'<':
                if (Position + 1 < _data.Length && _data[Position + 1] == '<') return ReadDictionary(0);
                return ReadHexString();
            case (byte)']' or (byte)'>' or (byte)')' or (byte)'{' or (byte)'}':
                Position++;
                keyword = _data.Slice(Position - 1, 1);
                return null;
        }
        var token = ReadRegularToken();
        Debug.Assert(token.Length > 0);
        if (TryParseNumber(token, out var number, out var isInt)) return new PdfNumber(number, isInt);
        if (token.SequenceEqual("true"u8)) return PdfBoolean.True;
        if (token.SequenceEqual("false"u8)) return PdfBoolean.False;
        if (token.SequenceEqual("null"u8)) return PdfNull.Instance;
        keyword = token;
        return null;
    }

    /// <summary>Reads one object at the cursor; references (<c>n g R</c>) are recognised. Returns null at end of data.</summary>
    public PdfObject? ReadObject() => ReadObject(0);

    private PdfObject? ReadObject(int depth)
    {
        SkipWhitespaceAndComments();
        if (AtEnd) return null;
        var b = _data[Position];
        switch (b)
        {
            case (byte)'/': return ReadName();
            case (byte)'(': return ReadLiteralString();
            case (byte)'[': return ReadArray(depth);
            case (byte)'<':
                if (Position + 1 < _data.Length && _data[Position + 1] == '<') return ReadDictionary(depth);
                return ReadHexString();
        }
        if (IsDelimiter(b))
        {
            Position++; // stray ')', '>', ']', '{', '}'
            return PdfNull.Instance;
        }
        var start = Position;
        var token = ReadRegularToken();
        if (TryParseNumber(token, out var number, out var isInt))
        {
            if (isInt && number >= 0 && number <= int.MaxValue && TryReadReferenceTail(out var gen))
                return new PdfReference((int)number, gen);
            return new PdfNumber(number, isInt);
        }
        if (token.SequenceEqual("true"u8)) return PdfBoolean.True;
        if (token.SequenceEqual("false"u8)) return PdfBoolean.False;
        if (token.SequenceEqual("null"u8)) return PdfNull.Instance;
        // Keywords such as 'endobj', 'stream', 'R' out of place: leave the cursor after them and yield null.
        Debug.Assert(Position > start);
        return PdfNull.Instance;
    }

    private bool TryReadReferenceTail(out int generation)
    {
        generation = 0;
        var save = Position;
        SkipWhitespaceAndComments();
        var genToken = ReadRegularToken();
        if (genToken.Length == 0 || genToken.Length > 6 || !AllDigits(genToken)) { Position = save; return false; }
        SkipWhitespaceAndComments();
        if (Position < _data.Length && _data[Position] == 'R' &&
            (Position + 1 == _data.Length || !IsRegular(_data[Position + 1])))
        {
            Position++;
            generation = ParseSmallInt(genToken);
            return true;
        }
        Position = save;
        return false;
    }

    private void EnterContainer(int depth)
    {
        if (depth >= _maxDepth)
            PdfFormatException.Limit("limit-nesting", $"nesting deeper than {_maxDepth} levels");
    }

    private PdfArray ReadArray(int depth)
    {
        EnterContainer(depth);
        Position++; // [
        var items = new List<PdfObject>();
        while (true)
        {
            SkipWhitespaceAndComments();
            if (AtEnd) break;
            if (_data[Position] == ']') { Position++; break; }
            var before = Position;
            var item = ReadObject(depth + 1);
            if (item is null) break;
            if (IsStructuralKeywordBehind(before)) { Position = before; break; }
            items.Add(item);
        }
        return new PdfArray(items);
    }

    private PdfDictionary ReadDictionary(int depth)
    {
        EnterContainer(depth);
        Position += 2; // <<
        var entries = new Dictionary<string, PdfObject>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespaceAndComments();
            if (AtEnd) break;
            var b = _data[Position];
            if (b == '>')
            {
                Position += Position + 1 < _data.Length && _data[Position + 1] == '>' ? 2 : 1;
                break;
            }
            if (b != '/')
            {
                // Junk where a key belongs: skip one token and go on (poppler does likewise).
                var before = Position;
                var junk = ReadObject(depth + 1);
                if (junk is null) break;
                if (IsStructuralKeywordBehind(before)) { Position = before; break; }
                continue;
            }
            var key = ReadName();
            SkipWhitespaceAndComments();
            if (AtEnd) break;
            if (_data[Position] == '>' ) { entries[key.Value] = PdfNull.Instance; continue; }
            var valueStart = Position;
            var value = ReadObject(depth + 1);
            if (value is null) break;
            if (IsStructuralKeywordBehind(valueStart)) { Position = valueStart; break; }
            entries[key.Value] = value; // later duplicates win, as in most readers
        }
        return new PdfDictionary(entries);
    }

    /// <summary>True when the token just read from <paramref name="start"/> was endobj/stream/obj: a container left open.</summary>
    private readonly bool IsStructuralKeywordBehind(int start)
    {
        var t = _data[start..Position];
        return t.SequenceEqual("endobj"u8) || t.SequenceEqual("stream"u8) || t.SequenceEqual("endstream"u8) ||
               t.SequenceEqual("obj"u8) || t.SequenceEqual("xref"u8) || t.SequenceEqual("trailer"u8);
    }

    public PdfName ReadName()
    {
        Debug.Assert(_data[Position] == '/');
        Position++;
        var raw = ReadRegularToken();
        if (raw.IndexOf((byte)'#') < 0)
            return new PdfName(Encoding.Latin1.GetString(raw));
        return new PdfName(DecodeNameEscapes(raw));
    }

    private static string DecodeNameEscapes(ReadOnlySpan<byte> raw)
    {
        var bytes = new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '#' && i + 2 < raw.Length && HexValue(raw[i + 1]) >= 0 && HexValue(raw[i + 2]) >= 0)
            {
                bytes[n++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else bytes[n++] = raw[i];
        }
        // Names are byte strings; UTF-8 is the common intent (§7.3.5), Latin-1 keeps anything else lossless.
        var span = bytes.AsSpan(0, n);
        return System.Text.Unicode.Utf8.IsValid(span) ? Encoding.UTF8.GetString(span) : Encoding.Latin1.GetString(span);
    }

    public PdfString ReadLiteralString()
    {
        Debug.Assert(_data[Position] == '(');
        Position++;
        var start = Position;
        // Fast path: no escapes and no CR before the closing parenthesis, parentheses balanced.
        var nesting = 0;
        for (var i = start; i < _data.Length; i++)
        {
            var c = _data[i];
            if (c == '\\' || c == '\r') break;
            if (c == '(') nesting++;
            else if (c == ')')
            {
                if (nesting == 0)
                {
                    Position = i + 1;
                    return new PdfString(_data[start..i].ToArray(), false);
                }
                nesting--;
            }
        }
        return ReadLiteralStringSlow(start);
    }

    private PdfString ReadLiteralStringSlow(int start)
    {
        Position = start;
        var buffer = new List<byte>(64);
        var nesting = 0;
        while (Position < _data.Length)
        {
            var c = _data[Position++];
            switch (c)
            {
                case (byte)'(':
                    nesting++;
                    buffer.Add(c);
                    break;
                case (byte)')':
                    if (nesting == 0) return new PdfString([.. buffer], false);
                    nesting--;
                    buffer.Add(c);
                    break;
                case (byte)'\r':
                    // §7.3.4.2: an unescaped end-of-line is read as \n whatever its form.
                    if (Position < _data.Length && _data[Position] == '\n') Position++;
                    buffer.Add((byte)'\n');
                    break;
                case (byte)'\\':
                    ReadEscape(buffer);
                    break;
                default:
                    buffer.Add(c);
                    break;
            }
        }
        return new PdfString([.. buffer], false); // unterminated: keep what there is
    }

    private void ReadEscape(List<byte> buffer)
    {
        if (Position >= _data.Length) return;
        var e = _data[Position++];
        switch (e)
        {
            case (byte)'n': buffer.Add((byte)'\n'); break;
            case (byte)'r': buffer.Add((byte)'\r'); break;
            case (byte)'t': buffer.Add((byte)'\t'); break;
            case (byte)'b': buffer.Add(8); break;
            case (byte)'f': buffer.Add(12); break;
            case (byte)'\r':
                if (Position < _data.Length && _data[Position] == '\n') Position++;
                break; // line continuation
            case (byte)'\n': break;
            case >= (byte)'0' and <= (byte)'7':
                var value = e - '0';
                for (var k = 0; k < 2 && Position < _data.Length && _data[Position] is >= (byte)'0' and <= (byte)'7'; k++)
                    value = (value * 8) + (_data[Position++] - '0');
                buffer.Add((byte)value);
                break;
            default: buffer.Add(e); break; // \( \) \\ and unknown escapes: the character itself
        }
    }

    public PdfString ReadHexString()
    {
        Debug.Assert(_data[Position] == '<');
        Position++;
        var rest = _data[Position..];
        var end = rest.IndexOf((byte)'>');
        var hex = end < 0 ? rest : rest[..end];
        Position = end < 0 ? _data.Length : Position + end + 1;
        var bytes = new byte[(hex.Length + 1) / 2];
        var n = 0;
        var high = -1;
        foreach (var c in hex)
        {
            var v = HexValue(c);
            if (v < 0) continue; // whitespace and junk are ignored
            if (high < 0) high = v;
            else { bytes[n++] = (byte)((high << 4) | v); high = -1; }
        }
        if (high >= 0) bytes[n++] = (byte)(high << 4); // §7.3.4.3: a missing final digit is 0
        return new PdfString(n == bytes.Length ? bytes : bytes[..n], true);
    }

    public static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    public static bool AllDigits(ReadOnlySpan<byte> s)
    {
        foreach (var c in s) if (c is < (byte)'0' or > (byte)'9') return false;
        return s.Length > 0;
    }

    public static int ParseSmallInt(ReadOnlySpan<byte> digits)
    {
        long v = 0;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9') break;
            v = (v * 10) + (c - '0');
            if (v > int.MaxValue) return int.MaxValue;
        }
        return (int)v;
    }

    /// <summary>Numbers as readers accept them: optional sign(s), digits, one decimal point (§7.3.3, plus common junk like "--5").</summary>
    public static bool TryParseNumber(ReadOnlySpan<byte> token, out double value, out bool isInteger)
    {
        value = 0;
        isInteger = true;
        var i = 0;
        var negative = false;
        while (i < token.Length && token[i] is (byte)'+' or (byte)'-')
        {
            negative ^= token[i] == '-';
            i++;
        }
        if (i == token.Length) return false;
        double whole = 0;
        var digits = 0;
        for (; i < token.Length && token[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++) whole = (whole * 10) + (token[i] - '0');
        if (i < token.Length && token[i] == '.')
        {
            isInteger = false;
            i++;
            double scale = 0.1;
            for (; i < token.Length && token[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++)
            {
                whole += (token[i] - '0') * scale;
                scale *= 0.1;
            }
        }
        if (digits == 0 || i != token.Length) return false;
        value = negative ? -whole : whole;
        return true;
    }

    /// <summary>Checks for "n g obj" at the cursor and returns the numbers.</summary>
    public bool TryReadObjectHeader(out int number, out int generation)
    {
        number = generation = 0;
        SkipWhitespaceAndComments();
        var n = ReadRegularToken();
        if (!AllDigits(n) || n.Length > 10) return false;
        SkipWhitespaceAndComments();
        var g = ReadRegularToken();
        if (!AllDigits(g) || g.Length > 10) return false;
        SkipWhitespaceAndComments();
        var kw = ReadRegularToken();
        if (!kw.SequenceEqual("obj"u8)) return false;
        number = ParseSmallInt(n);
        generation = ParseSmallInt(g);
        return true;
    }

    /// <summary>After an object, consumes "stream" and its end-of-line if present and returns the data start.</summary>
    public int TryReadStreamKeyword()
    {
        var save = Position;
        SkipWhitespaceAndComments();
        if (!_data[Position..].StartsWith("stream"u8)) { Position = save; return -1; }
        Position += 6;
        // §7.3.8.1: "stream" is followed by CRLF or LF; tolerate a lone CR (and spaces before the EOL).
        while (Position < _data.Length && _data[Position] == ' ') Position++;
        if (Position < _data.Length && _data[Position] == '\r') Position++;
        if (Position < _data.Length && _data[Position] == '\n') Position++;
        return Position;
    }
}
