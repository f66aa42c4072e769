using System.Text.RegularExpressions;

namespace Carevault.Ingestion.Mapping.Fhir;

/// <summary>
/// Turns an assigning authority (HL7 v2 HD, DICOM IssuerOfPatientID) into a FHIR Identifier.system: an OID as
/// <c>urn:oid:</c>, a UUID as <c>urn:uuid:</c>, an absolute URI as itself, a bare namespace name as
/// <c>urn:carevault:authority:&lt;escaped name&gt;</c> (decision 0011).
/// </summary>
internal static partial class IdentifierSystems
{
    public const string NamespacePrefix = "urn:carevault:authority:";

    public static string? FromAuthority(string? namespaceId, string? universalId, string? universalIdType)
    {
        if (!string.IsNullOrWhiteSpace(universalId))
        {
            string id = universalId.Trim();
            if (Oid().IsMatch(id))
            {
                return "urn:oid:" + id;
            }

            if (string.Equals(universalIdType, "UUID", StringComparison.OrdinalIgnoreCase) && Guid.TryParse(id, out Guid uuid))
            {
                return "urn:uuid:" + uuid.ToString("D");
            }

            if (id.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || id.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                || id.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                return FhirValues.Uri(id);
            }
        }

        string? name = string.IsNullOrWhiteSpace(namespaceId) ? universalId : namespaceId;
        return string.IsNullOrWhiteSpace(name) ? null : NamespacePrefix + System.Uri.EscapeDataString(name.Trim());
    }

    /// <summary>DICOM IssuerOfPatientID is free text: an OID or URI when it looks like one, else a namespace name.</summary>
    public static string? FromIssuer(string? issuer) => FromAuthority(issuer, issuer, null);

    [GeneratedRegex(@"^[0-2](\.(0|[1-9][0-9]*))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Oid();
}
