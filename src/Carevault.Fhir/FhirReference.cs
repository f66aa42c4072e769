using Carevault.Fhir.Generated;

namespace Carevault.Fhir;

/// <summary>How a <c>Reference.reference</c> string points at its target.</summary>
public enum FhirReferenceKind
{
    /// <summary><c>Type/id</c> or <c>Type/id/_history/vid</c>.</summary>
    Relative,

    /// <summary><c>http(s)://base/Type/id</c> (the FHIR RESTful form of an absolute URL).</summary>
    Absolute,

    /// <summary><c>#id</c>: a contained resource (or <c>#</c>, the container itself).</summary>
    Contained,

    /// <summary><c>urn:uuid:…</c> (Bundle-local, resolved through <c>Bundle.entry.fullUrl</c>).</summary>
    Uuid,

    /// <summary><c>urn:oid:…</c>.</summary>
    Oid,

    /// <summary><c>Type?search</c>: a conditional reference, allowed inside a transaction Bundle.</summary>
    Conditional,

    /// <summary>Another absolute URI (not a FHIR RESTful URL): allowed, target type unknown.</summary>
    OtherAbsolute,
}

/// <summary>A parsed <c>Reference.reference</c> (FHIR R4 §2.3.0 References, and the regex in Reference.reference's comment).</summary>
/// <param name="Kind">Form of the reference.</param>
/// <param name="ResourceType">Target type when the form names one (relative, absolute, conditional), else null.</param>
/// <param name="Id">Logical id, contained id, or null.</param>
public readonly record struct FhirReference(FhirReferenceKind Kind, string? ResourceType, string? Id)
{
    /// <summary>
    /// Parses a reference. Returns false when the string is neither a URI-like form nor a well-formed
    /// <c>Type/id[/_history/vid]</c> (e.g. <c>Patient</c>, <c>Patient/</c>, <c>patient/1</c>, an id over 64 characters).
    /// </summary>
    public static bool TryParse(string reference, out FhirReference result)
    {
        result = default;
        if (reference.Length == 0)
        {
            return false;
        }

        if (reference[0] == '#')
        {
            result = new FhirReference(FhirReferenceKind.Contained, null, reference[1..]);
            return true;
        }

        if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal))
        {
            result = new FhirReference(FhirReferenceKind.Uuid, null, reference);
            return PrimitiveRegexes.Uuid().IsMatch(reference);
        }

        if (reference.StartsWith("urn:oid:", StringComparison.Ordinal))
        {
            result = new FhirReference(FhirReferenceKind.Oid, null, reference);
            return PrimitiveRegexes.Oid().IsMatch(reference);
        }

        int query = reference.IndexOf('?', StringComparison.Ordinal);
        if (query > 0 && reference.IndexOf('/', StringComparison.Ordinal) < 0)
        {
            string type = reference[..query];
            result = new FhirReference(FhirReferenceKind.Conditional, type, null);
            return IsTypeName(type);
        }

        bool absolute = reference.StartsWith("http://", StringComparison.Ordinal) || reference.StartsWith("https://", StringComparison.Ordinal);
        string rest = reference;
        int history = rest.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            if (!IsId(rest.AsSpan(history + 10)))
            {
                return FallbackAbsolute(reference, absolute, out result);
            }

            rest = rest[..history];
        }

        int slash = rest.LastIndexOf('/');
        if (slash <= 0)
        {
            return FallbackAbsolute(reference, absolute, out result);
        }

        string id = rest[(slash + 1)..];
        int typeStart = rest.LastIndexOf('/', slash - 1) + 1;
        string resourceType = rest[typeStart..slash];
        if (!IsId(id) || !IsTypeName(resourceType) || (!absolute && typeStart != 0))
        {
            return FallbackAbsolute(reference, absolute, out result);
        }

        result = new FhirReference(absolute ? FhirReferenceKind.Absolute : FhirReferenceKind.Relative, resourceType, id);
        return true;
    }

    private static bool FallbackAbsolute(string reference, bool absolute, out FhirReference result)
    {
        // Any absolute URI may be a reference (to a non-FHIR server, say); only relative ones must be Type/id.
        bool isUri = absolute || (reference.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon && char.IsAsciiLetter(reference[0]) && !reference.AsSpan(0, colon).Contains('/'));
        result = new FhirReference(FhirReferenceKind.OtherAbsolute, null, null);
        return isUri;
    }

    private static bool IsId(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > 64)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsTypeName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetterUpper(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetter(c))
            {
                return false;
            }
        }

        return true;
    }
}
