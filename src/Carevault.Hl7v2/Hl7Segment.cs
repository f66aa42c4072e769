using System.Text;

namespace Carevault.Hl7v2;

/// <summary>
/// One segment of a parsed message: a view (no copy) over the message buffer. Field numbers follow HL7: PID-3 is
/// <c>Field(3)</c>; field 0 is the segment id. In MSH (and FHS/BHS) field 1 is the field separator and field 2 the
/// encoding characters, as the standard numbers them.
/// </summary>
public readonly struct Hl7Segment : IEquatable<Hl7Segment>
{
    private readonly Hl7SegmentTable _table;

    internal Hl7Segment(Hl7SegmentTable table, int index)
    {
        _table = table;
        Index = index;
    }

    /// <summary>0-based position of the segment in its message.</summary>
    public int Index { get; }

    /// <summary>The segment id bytes (e.g. "PID").</summary>
    public ReadOnlySpan<byte> IdBytes => _table is null ? default : Field(0).Raw;

    /// <summary>The segment id (e.g. "PID", "ZLR").</summary>
    public string Id => Hl7SegmentIds.ToString(IdBytes);

    /// <summary>Highest field number present (PID|1||x has 3); the id (field 0) is not counted.</summary>
    public int FieldCount => _table is null ? 0 : _table.FieldSlots(Index) - 1;

    /// <summary>The whole segment as written, without its terminator.</summary>
    public ReadOnlySpan<byte> Raw
    {
        get
        {
            if (_table is null)
            {
                return default;
            }

            (int start, int end) = _table.SegmentRange(Index);
            return _table.Slice(start, end);
        }
    }

    /// <summary>True when the segment id is <paramref name="id"/> (ordinal, no allocation).</summary>
    public bool Is(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ReadOnlySpan<byte> bytes = IdBytes;
        if (bytes.Length != id.Length)
        {
            return false;
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != id[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Field <paramref name="number"/> (HL7 numbering); empty when absent.</summary>
    public Hl7Value Field(int number)
    {
        if (_table is null || number < 0 || number > FieldCount)
        {
            if (_table is null)
            {
                return default;
            }

            (int _, int end) = _table.SegmentRange(Index);
            return new Hl7Value(_table, end, end, Hl7ValueLevel.Field);
        }

        (int s, int e) = _table.FieldRange(Index, number);
        Hl7ValueLevel level = number is 1 or 2 && _table.IsHeaderSegment(Index) ? Hl7ValueLevel.Literal
            : number == 0 ? Hl7ValueLevel.Literal
            : Hl7ValueLevel.Field;
        return new Hl7Value(_table, s, e, level);
    }

    /// <summary>
    /// The unescaped string at PID-5[repetition].component.subComponent, e.g. <c>GetValue(5, 0, 1)</c> for the first
    /// family name; empty when absent.
    /// </summary>
    public string GetValue(int field, int repetition = 0, int component = 1, int subComponent = 1) =>
        Field(field).Repetition(repetition).Component(component).SubComponent(subComponent).GetString();

    /// <inheritdoc />
    public override string ToString() => _table is null ? string.Empty : _table.Encoding.GetString(Raw);

    /// <inheritdoc />
    public bool Equals(Hl7Segment other) => ReferenceEquals(_table, other._table) && Index == other.Index;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hl7Segment other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_table, Index);

    /// <summary>Same segment of the same message.</summary>
    public static bool operator ==(Hl7Segment left, Hl7Segment right) => left.Equals(right);

    /// <summary>Not the same segment.</summary>
    public static bool operator !=(Hl7Segment left, Hl7Segment right) => !left.Equals(right);
}

/// <summary>Turns 3-byte segment ids into shared strings so reading ids does not allocate per segment.</summary>
internal static class Hl7SegmentIds
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Cache = new();

    public static string ToString(ReadOnlySpan<byte> id)
    {
        if (id.Length == 3 && IsIdByte(id[0]) && IsIdByte(id[1]) && IsIdByte(id[2]))
        {
            // At most 36^3 distinct keys, so the cache is bounded even under hostile input.
            int key = id[0] | (id[1] << 8) | (id[2] << 16);
            return Cache.TryGetValue(key, out string? cached) ? cached : Cache.GetOrAdd(key, Encoding.ASCII.GetString(id));
        }

        return Encoding.Latin1.GetString(id);
    }

    public static bool IsValid(ReadOnlySpan<byte> id) =>
        id.Length == 3 && IsIdByte(id[0]) && IsIdByte(id[1]) && IsIdByte(id[2]);

    private static bool IsIdByte(byte b) => char.IsAsciiLetterUpper((char)b) || char.IsAsciiDigit((char)b);
}

/// <summary>The segments of a message, by position. A struct: enumerating allocates nothing.</summary>
public readonly struct Hl7SegmentList : IReadOnlyList<Hl7Segment>
{
    private readonly Hl7SegmentTable? _table;

    internal Hl7SegmentList(Hl7SegmentTable table) => _table = table;

    /// <inheritdoc />
    public int Count => _table?.SegmentCount ?? 0;

    /// <inheritdoc />
    public Hl7Segment this[int index] =>
        _table is not null && (uint)index < (uint)_table.SegmentCount
            ? new Hl7Segment(_table, index)
            : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>A non-allocating enumerator.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<Hl7Segment> IEnumerable<Hl7Segment>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerator over <see cref="Hl7SegmentList"/>.</summary>
    public struct Enumerator : IEnumerator<Hl7Segment>
    {
        private readonly Hl7SegmentList _list;
        private int _index;

        internal Enumerator(Hl7SegmentList list)
        {
            _list = list;
            _index = -1;
        }

        /// <inheritdoc />
        public readonly Hl7Segment Current => _list[_index];

        readonly object System.Collections.IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext() => ++_index < _list.Count;

        /// <inheritdoc />
        public void Reset() => _index = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }
}
