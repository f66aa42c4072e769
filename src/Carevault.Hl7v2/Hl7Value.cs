using System.Diagnostics;

namespace Carevault.Hl7v2;

/// <summary>Which separators still apply inside an <see cref="Hl7Value"/>.</summary>
public enum Hl7ValueLevel
{
    /// <summary>A whole field: repetitions, components and sub-components.</summary>
    Field,

    /// <summary>One repetition: components and sub-components.</summary>
    Repetition,

    /// <summary>One component: sub-components.</summary>
    Component,

    /// <summary>One sub-component: a leaf.</summary>
    SubComponent,

    /// <summary>MSH-1 / MSH-2 (and FHS/BHS): the delimiters themselves, never split or unescaped.</summary>
    Literal,
}

/// <summary>
/// A slice of a message at some level (field, repetition, component, sub-component). Navigating allocates nothing;
/// only <see cref="GetString"/> and <see cref="ToString"/> create a string. Positions follow HL7: repetitions are
/// 0-based (as in "the second repetition" = 1), components and sub-components are 1-based (PID-5.1 is the family
/// name). Asking past the end yields an empty value, never an exception.
/// </summary>
public readonly struct Hl7Value : IEquatable<Hl7Value>
{
    private readonly Hl7SegmentTable? _table;
    private readonly int _start;
    private readonly int _end;

    internal Hl7Value(Hl7SegmentTable? table, int start, int end, Hl7ValueLevel level)
    {
        Debug.Assert(start <= end, "ordered range");
        _table = table;
        _start = start;
        _end = end;
        Level = level;
    }

    /// <summary>Which separators still apply inside this value.</summary>
    public Hl7ValueLevel Level { get; }

    /// <summary>The bytes as written (escape sequences not resolved).</summary>
    public ReadOnlySpan<byte> Raw => _table is null ? default : _table.Buffer.Span[_start.._end];

    /// <summary>The bytes as written, as memory (for callers that keep them).</summary>
    public ReadOnlyMemory<byte> RawMemory => _table is null ? default : _table.Buffer[_start.._end];

    /// <summary>True when nothing is written here.</summary>
    public bool IsEmpty => _end == _start;

    /// <summary>True for the HL7 explicit null <c>""</c> ("delete the stored value").</summary>
    public bool IsExplicitNull => Raw.SequenceEqual("\"\""u8);

    /// <summary>Repetitions in a field (0 when empty); 1 at lower levels unless empty.</summary>
    public int RepetitionCount => IsEmpty ? 0 : Level == Hl7ValueLevel.Field ? Count(Separators.Repetition) : 1;

    /// <summary>Components in this value (for a field: in its first repetition); 0 when empty.</summary>
    public int ComponentCount => Level switch
    {
        Hl7ValueLevel.Field => Repetition(0).ComponentCount,
        Hl7ValueLevel.Repetition => IsEmpty ? 0 : Count(Separators.Component),
        _ => IsEmpty ? 0 : 1,
    };

    /// <summary>Sub-components in this value (for a field or repetition: in its first component); 0 when empty.</summary>
    public int SubComponentCount => Level switch
    {
        Hl7ValueLevel.Field or Hl7ValueLevel.Repetition => Component(1).SubComponentCount,
        Hl7ValueLevel.Component => IsEmpty ? 0 : Count(Separators.SubComponent),
        _ => IsEmpty ? 0 : 1,
    };

    private Hl7Delimiters Separators => _table?.Delimiters ?? Hl7Delimiters.Default;

    /// <summary>The repetition at 0-based <paramref name="index"/> of a field.</summary>
    public Hl7Value Repetition(int index) => Level switch
    {
        Hl7ValueLevel.Field => Piece(Separators.Repetition, index, Hl7ValueLevel.Repetition),
        _ => index == 0 ? this : Empty(Hl7ValueLevel.Repetition),
    };

    /// <summary>The component at 1-based <paramref name="position"/> (of the first repetition, for a field).</summary>
    public Hl7Value Component(int position) => Level switch
    {
        Hl7ValueLevel.Field => Repetition(0).Component(position),
        Hl7ValueLevel.Repetition => Piece(Separators.Component, position - 1, Hl7ValueLevel.Component),
        _ => position == 1 ? this : Empty(Hl7ValueLevel.Component),
    };

    /// <summary>The sub-component at 1-based <paramref name="position"/> (of the first component, above component level).</summary>
    public Hl7Value SubComponent(int position) => Level switch
    {
        Hl7ValueLevel.Field or Hl7ValueLevel.Repetition => Component(1).SubComponent(position),
        Hl7ValueLevel.Component => Piece(Separators.SubComponent, position - 1, Hl7ValueLevel.SubComponent),
        _ => position == 1 ? this : Empty(Hl7ValueLevel.SubComponent),
    };

    /// <summary>
    /// The value decoded with the message's character set and unescaped (see <see cref="Hl7Escaping"/>). Separators
    /// below this level are kept as written, so call it on a leaf for a clean value.
    /// </summary>
    public string GetString()
    {
        if (_table is null || IsEmpty)
        {
            return string.Empty;
        }

        return Level == Hl7ValueLevel.Literal
            ? _table.Encoding.GetString(Raw)
            : Hl7Escaping.Unescape(Raw, _table.Delimiters, _table.Encoding);
    }

    /// <summary><see cref="GetString"/>, or null when empty or the explicit null <c>""</c>.</summary>
    public string? GetStringOrNull() => IsEmpty || IsExplicitNull ? null : GetString();

    /// <summary>The value decoded but not unescaped.</summary>
    public string GetRawString() => _table is null || IsEmpty ? string.Empty : _table.Encoding.GetString(Raw);

    /// <inheritdoc />
    public override string ToString() => GetString();

    /// <inheritdoc />
    public bool Equals(Hl7Value other) =>
        ReferenceEquals(_table, other._table) && _start == other._start && _end == other._end && Level == other.Level;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hl7Value other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_table, _start, _end, Level);

    /// <summary>Same slice of the same message.</summary>
    public static bool operator ==(Hl7Value left, Hl7Value right) => left.Equals(right);

    /// <summary>Not the same slice.</summary>
    public static bool operator !=(Hl7Value left, Hl7Value right) => !left.Equals(right);

    // Keeps the requested level even for a default value, so navigation always descends and terminates.
    private Hl7Value Empty(Hl7ValueLevel level) => new(_table, _end, _end, level);

    private int Count(byte separator) => Raw.Count(separator) + 1;

    private Hl7Value Piece(byte separator, int index, Hl7ValueLevel level)
    {
        if (_table is null || index < 0)
        {
            return Empty(level);
        }

        ReadOnlySpan<byte> span = Raw;
        int offset = 0;
        for (int i = 0; i < index; i++)
        {
            int next = span[offset..].IndexOf(separator);
            if (next < 0)
            {
                return Empty(level);
            }

            offset += next + 1;
        }

        int length = span[offset..].IndexOf(separator);
        int end = length < 0 ? span.Length : offset + length;
        return new Hl7Value(_table, _start + offset, _start + end, level);
    }
}
