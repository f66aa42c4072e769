using Carevault.Identity.Authorization;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;

namespace Carevault.Identity.Tests.Authorization;

/// <summary>Who may submit and read report files (the ingestion API): role or scope × action × tenant.</summary>
public sealed class ReportAccessPolicyTests
{
    const string Home = "hospital-a";

    static CallerContext User(string role, string tenant = Home) => new(tenant, "u1", "user", ScopeSet.Empty, role);

    static CallerContext Client(string scopes, string tenant = Home)
    {
        Assert.True(ScopeSet.TryParse(scopes, out var set));
        return new CallerContext(tenant, "cli_1", "client", set);
    }

    public static TheoryData<string, ReportAction, Access> Roles => new()
    {
        { "doctor", ReportAction.Submit, Access.Allowed },
        { "doctor", ReportAction.Read, Access.Allowed },
        { "doctor", ReportAction.Search, Access.Allowed },
        { "staff", ReportAction.Submit, Access.Allowed },     // scanned paper reports
        { "staff", ReportAction.Read, Access.Forbidden },     // no clinical content
        { "staff", ReportAction.Search, Access.Forbidden },
        { "patient", ReportAction.Submit, Access.Forbidden },
        { "patient", ReportAction.Read, Access.Forbidden },
        { "auditor", ReportAction.Submit, Access.Forbidden },
        { "auditor", ReportAction.Read, Access.Forbidden },
        { "admin", ReportAction.Submit, Access.Forbidden },
        { "admin", ReportAction.Search, Access.Forbidden },
    };

    [Theory]
    [MemberData(nameof(Roles))]
    public void Reports_User_FollowsTheMatrix(string role, ReportAction action, Access expected) =>
        Assert.Equal(expected, AccessPolicy.Reports(User(role), Home, action));

    [Theory]
    [MemberData(nameof(Roles))]
    public void Reports_OtherTenant_IsNotFound(string role, ReportAction action, Access _) =>
        Assert.Equal(Access.NotFound, AccessPolicy.Reports(User(role, "hospital-b"), Home, action));

    public static TheoryData<string, ReportAction, Access> Scopes => new()
    {
        { "system/DocumentReference.c", ReportAction.Submit, Access.Allowed },
        { "system/DocumentReference.c", ReportAction.Read, Access.Forbidden },
        { "system/DocumentReference.rs", ReportAction.Read, Access.Allowed },
        { "system/DocumentReference.rs", ReportAction.Search, Access.Allowed },
        { "system/DocumentReference.rs", ReportAction.Submit, Access.Forbidden },
        { "system/*.cruds", ReportAction.Submit, Access.Allowed },
        { "system/Observation.cruds", ReportAction.Submit, Access.Forbidden },
        { "patient/DocumentReference.c", ReportAction.Submit, Access.Forbidden },   // only system scopes speak for a hospital system
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public void Reports_Client_FollowsItsSystemScopes(string scopes, ReportAction action, Access expected) =>
        Assert.Equal(expected, AccessPolicy.Reports(Client(scopes), Home, action));

    [Fact]
    public void Reports_ClientOfOtherTenant_IsNotFound() =>
        Assert.Equal(Access.NotFound, AccessPolicy.Reports(Client("system/*.cruds", "hospital-b"), Home, ReportAction.Submit));
}
