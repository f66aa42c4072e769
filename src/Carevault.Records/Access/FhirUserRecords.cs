using System.Data.Common;
using System.Text;
using Carevault.Identity.People;
using Carevault.Records.Store;

namespace Carevault.Records.Access;

/// <summary>The records side of linking people to FHIR resources (<see cref="IFhirUserRecords"/>), through the one store door.</summary>
internal sealed class FhirUserRecords(ResourceStore store) : IFhirUserRecords
{
    // A self-registered patient's record starts empty: the person is known by their account; clinicians add the rest.
    static readonly ReadOnlyMemory<byte> NewPatient = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","active":true}""");

    public async Task<bool> ExistsAsync(string tenantId, string resourceType, string id, CancellationToken ct) =>
        ResourceIds.IsValid(id) && (await store.ReadAsync(tenantId, resourceType, id, ct)).IsSuccess;

    public async Task<string?> CreatePatientAsync(string tenantId, Func<DbConnection, DbTransaction, string, CancellationToken, Task<bool>> insertUser, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(insertUser);
        var id = store.NewId();
        var result = await store.TransactionAsync(tenantId, [new TransactionWrite("POST", "Patient", id, NewPatient, null)], ct,
            async (connection, transaction, _, token) => await insertUser(connection, transaction, id, token)
                ? null
                : new RecordError(RecordErrorKind.PreconditionFailed, "conflict", "The account was not created."));
        return result.IsSuccess ? id : null;
    }
}
