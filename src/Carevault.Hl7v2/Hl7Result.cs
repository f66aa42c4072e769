using System.Diagnostics.CodeAnalysis;

namespace Carevault.Hl7v2;

/// <summary>Either a value or an <see cref="Hl7Error"/>; bad input never throws.</summary>
public readonly struct Hl7Result<T> : IEquatable<Hl7Result<T>>
    where T : class
{
    internal Hl7Result(T? value, Hl7Error? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The reason when not <see cref="IsSuccess"/>.</summary>
    public Hl7Error? Error { get; }

    /// <summary>True when <see cref="Value"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Value is not null;

    /// <inheritdoc />
    public bool Equals(Hl7Result<T> other) =>
        EqualityComparer<T?>.Default.Equals(Value, other.Value) && Equals(Error, other.Error);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hl7Result<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Value, Error);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Hl7Result<T> left, Hl7Result<T> right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Hl7Result<T> left, Hl7Result<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => IsSuccess ? $"Success({Value})" : $"Failure({Error.Code})";
}

/// <summary>Factory methods for <see cref="Hl7Result{T}"/>.</summary>
public static class Hl7Result
{
    /// <summary>A successful result.</summary>
    public static Hl7Result<T> Success<T>(T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        return new Hl7Result<T>(value, null);
    }

    /// <summary>A failed result.</summary>
    public static Hl7Result<T> Failure<T>(Hl7Error error)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(error);
        return new Hl7Result<T>(null, error);
    }
}
