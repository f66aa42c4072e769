using System.Text.Json;
using Carevault.Fhir.Spec;

namespace Carevault.Fhir.FhirPath;

/// <summary>One item of a FHIRPath result: a JSON value and, when the spec tables know it, its FHIR type.</summary>
public readonly struct FhirPathNode : IEquatable<FhirPathNode>
{
    internal FhirPathNode(JsonElement value, string? typeName, IReadOnlyDictionary<string, FhirChild>? children)
    {
        Value = value;
        TypeName = typeName;
        Children = children;
    }

    /// <summary>The JSON value (an object for complex types and resources, a string/number/boolean for primitives).</summary>
    public JsonElement Value { get; }

    /// <summary>FHIR type name (<c>HumanName</c>, <c>dateTime</c>, <c>Patient</c>…) or null when unknown.</summary>
    public string? TypeName { get; }

    internal IReadOnlyDictionary<string, FhirChild>? Children { get; }

    /// <inheritdoc/>
    public bool Equals(FhirPathNode other) => TypeName == other.TypeName && JsonElement.DeepEquals(Value, other.Value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FhirPathNode other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TypeName, Value.ValueKind);

    /// <summary>Value equality (same type name, structurally equal JSON).</summary>
    public static bool operator ==(FhirPathNode left, FhirPathNode right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(FhirPathNode left, FhirPathNode right) => !left.Equals(right);
}
