using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Records.Search;
using Carevault.Records.Store;

namespace Carevault.Portal.Records;

/// <summary>
/// The interim link from a patient user to their Patient resource: the Patient carrying the identifier
/// <c><see cref="System"/>|{user id}</c> in the user's tenant. Registration or a clinician records that identifier; a
/// user with no such Patient (or several — an ambiguity is never guessed at) sees an unlinked record.
/// TODO: replace with the <c>fhirUser</c> claim once the identity module issues it (patient compartments).
/// </summary>
public sealed class IdentifierPatientLink(ResourceStore store, SearchQueryParser parser) : IPatientLink
{
    public const string System = "urn:carevault:user";

    public async Task<string?> FindPatientIdAsync(CallerContext caller, CancellationToken ct)
    {
        if (caller is not { Kind: "user", Role: Roles.Patient }) return null;
        var query = parser.Parse("Patient", [new("identifier", $"{System}|{caller.Subject}"), new("_count", "2")], strict: true);
        if (query.Value is null) return null;
        var page = await store.SearchAsync(caller.TenantId, query.Value, ct);
        return page.Resources.Count == 1 ? page.Resources[0].Id : null;
    }
}
