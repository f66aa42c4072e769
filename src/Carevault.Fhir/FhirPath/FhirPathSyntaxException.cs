namespace Carevault.Fhir.FhirPath;

/// <summary>Thrown when an expression is outside the supported FHIRPath subset or malformed.</summary>
public sealed class FhirPathSyntaxException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public FhirPathSyntaxException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FhirPathSyntaxException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public FhirPathSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
