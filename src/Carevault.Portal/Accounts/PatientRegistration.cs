using System.Text.Json.Nodes;
using Carevault.Identity.People;
using Carevault.Records.Store;
using static Carevault.Portal.Records.FhirValues;

namespace Carevault.Portal.Accounts;

/// <summary>
/// A patient's self-registration from the portal: the account and its own FHIR <c>Patient</c> are created in one
/// store transaction, the account linked to it (<c>users.fhir_user</c>), so a new patient can record a blood group,
/// answer blood requests and book without waiting for staff to link them. Either both exist or neither (a taken
/// username rolls the Patient back). The Patient holds no name yet — registration asks for none — only an identifier
/// naming the account (<see cref="AccountSystem"/>).
/// </summary>
public sealed class PatientRegistration(ResourceStore store, UserStore users)
{
    public const string AccountSystem = "urn:carevault:portal-account";

    /// <summary>The new account, or null when the username is taken. Throws <see cref="ArgumentException"/> for an invalid field.</summary>
    public async Task<User?> RegisterAsync(string tenantId, string username, string password, string? email, CancellationToken ct)
    {
        var user = UserStore.NewUser(tenantId, username, password, Roles.Patient, email, fhirUser: null);
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["active"] = true,
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = AccountSystem, ["value"] = user.Id }),
        };
        var passwordHash = SignInService.HashPassword(password);
        User? linked = null;
        var created = await store.CreateAsync(tenantId, "Patient", Json(patient), ct, async (connection, transaction, written, token) =>
        {
            var candidate = user with { FhirUser = "Patient/" + written[0].Id };
            if (!await users.InsertAsync(connection, transaction, candidate, passwordHash, token))
                return new RecordError(RecordErrorKind.PreconditionFailed, "conflict", "The username is taken.");
            linked = candidate;
            return null;
        });
        if (created.Error is { Kind: RecordErrorKind.PreconditionFailed }) return null;
        if (created.Error is { } error) throw new InvalidOperationException("Registering failed: " + error.Message);
        return linked;
    }
}
