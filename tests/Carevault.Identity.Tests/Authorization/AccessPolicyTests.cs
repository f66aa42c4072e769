using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;

namespace Carevault.Identity.Tests.Authorization;

/// <summary>The authorization matrix: role × action × ownership × tenant, every cell written out.</summary>
public sealed class AccessPolicyTests
{
    const string Home = "hospital-a";
    const string Other = "hospital-b";

    static readonly Ownership Own = new() { InCallersCompartment = true, AuthoredByCaller = true };
    static readonly Ownership NotOwn = Ownership.None;

    static CallerContext User(string role, string tenant = Home) => new(tenant, "u1", "user", ScopeSet.Empty, role);

    static CallerContext Client(string scopes, string tenant = Home)
    {
        Assert.True(ScopeSet.TryParse(scopes, out var set));
        return new CallerContext(tenant, "cli_1", "client", set);
    }

    // role, resource type, action, owns?, expected
    public static TheoryData<string, string, ClinicalAction, bool, Access> Matrix => new()
    {
        { "patient", "Observation", ClinicalAction.Read, true, Access.Allowed },
        { "patient", "Observation", ClinicalAction.Search, true, Access.Allowed },
        { "patient", "Observation", ClinicalAction.Read, false, Access.NotFound },      // another patient's record: not revealed
        { "patient", "Observation", ClinicalAction.Create, true, Access.Forbidden },
        { "patient", "Condition", ClinicalAction.Update, true, Access.Forbidden },       // read-only on clinical data
        { "patient", "Condition", ClinicalAction.Delete, true, Access.Forbidden },
        { "doctor", "Observation", ClinicalAction.Read, false, Access.Allowed },
        { "doctor", "Patient", ClinicalAction.Search, false, Access.Allowed },
        { "doctor", "Condition", ClinicalAction.Create, false, Access.Allowed },
        { "doctor", "Condition", ClinicalAction.Update, true, Access.Allowed },          // own entry
        { "doctor", "Condition", ClinicalAction.Update, false, Access.Forbidden },       // another doctor's entry
        { "doctor", "Condition", ClinicalAction.Delete, true, Access.Allowed },
        { "doctor", "Condition", ClinicalAction.Delete, false, Access.Forbidden },
        { "doctor", "AuditEvent", ClinicalAction.Read, false, Access.Forbidden },
        { "staff", "Appointment", ClinicalAction.Update, false, Access.Allowed },
        { "staff", "CommunicationRequest", ClinicalAction.Create, false, Access.Allowed },
        { "staff", "Patient", ClinicalAction.Read, false, Access.Allowed },
        { "staff", "Observation", ClinicalAction.Read, false, Access.Forbidden },
        { "staff", "Condition", ClinicalAction.Create, false, Access.Forbidden },
        { "staff", "Appointment", ClinicalAction.Delete, false, Access.Forbidden },
        { "auditor", "AuditEvent", ClinicalAction.Search, false, Access.Allowed },
        { "auditor", "Observation", ClinicalAction.Read, false, Access.Forbidden },      // the trail, never the records
        { "auditor", "AuditEvent", ClinicalAction.Delete, false, Access.Forbidden },
        { "admin", "Patient", ClinicalAction.Read, false, Access.Forbidden },
        { "admin", "Observation", ClinicalAction.Create, false, Access.Forbidden },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Clinical_SameTenant_FollowsTheMatrix(string role, string type, ClinicalAction action, bool owns, Access expected) =>
        Assert.Equal(expected, AccessPolicy.Clinical(User(role), Home, type, action, owns ? Own : NotOwn));

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Clinical_OtherTenant_IsAlwaysNotFound(string role, string type, ClinicalAction action, bool owns, Access _) =>
        Assert.Equal(Access.NotFound, AccessPolicy.Clinical(User(role, Other), Home, type, action, owns ? Own : NotOwn));

    [Theory]
    [InlineData("system/Observation.rs", "Observation", ClinicalAction.Read, Access.Allowed)]
    [InlineData("system/Observation.rs", "Observation", ClinicalAction.Search, Access.Allowed)]
    [InlineData("system/Observation.rs", "Observation", ClinicalAction.Create, Access.Forbidden)]
    [InlineData("system/Observation.rs", "Patient", ClinicalAction.Read, Access.Forbidden)]
    [InlineData("system/*.cruds", "DiagnosticReport", ClinicalAction.Delete, Access.Allowed)]
    [InlineData("system/*.read", "Patient", ClinicalAction.Search, Access.Allowed)]
    [InlineData("system/*.read", "Patient", ClinicalAction.Update, Access.Forbidden)]
    [InlineData("patient/*.rs", "Patient", ClinicalAction.Read, Access.Forbidden)]   // a backend system acts with system/ scopes only
    public void Clinical_Client_FollowsItsSystemScopes(string scopes, string type, ClinicalAction action, Access expected)
    {
        Assert.Equal(expected, AccessPolicy.Clinical(Client(scopes), Home, type, action, NotOwn));
        Assert.Equal(Access.NotFound, AccessPolicy.Clinical(Client(scopes, Other), Home, type, action, NotOwn));
    }

    [Theory]
    [InlineData("admin", Home, Access.Allowed)]
    [InlineData("admin", Other, Access.NotFound)]
    [InlineData("doctor", Home, Access.Forbidden)]
    [InlineData("auditor", Home, Access.Forbidden)]
    [InlineData("patient", Home, Access.Forbidden)]
    public void Administer_OnlyTheTenantsAdministrators(string role, string tenant, Access expected) =>
        Assert.Equal(expected, AccessPolicy.Administer(User(role, tenant), Home));

    [Fact]
    public void Administer_HospitalSystemsMayNot() =>
        Assert.Equal(Access.Forbidden, AccessPolicy.Administer(Client("system/*.cruds"), Home));

    [Theory]
    [InlineData("admin", SystemTenant.Id, Access.Allowed)]
    [InlineData("admin", Home, Access.Forbidden)]
    [InlineData("doctor", SystemTenant.Id, Access.Forbidden)]
    public void OperatePlatform_OnlyOperatorsAdministrators(string role, string tenant, Access expected) =>
        Assert.Equal(expected, AccessPolicy.OperatePlatform(User(role, tenant)));
}
