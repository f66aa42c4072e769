using Carevault.Identity.Scopes;

namespace Carevault.Identity.Tests.Scopes;

public sealed class SmartScopeTests
{
    [Theory]
    [InlineData("system/Observation.rs", ScopeContext.System, "Observation", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("patient/*.r", ScopeContext.Patient, "*", ScopePermissions.Read)]
    [InlineData("user/DiagnosticReport.cruds", ScopeContext.User, "DiagnosticReport", ScopePermissions.All)]
    [InlineData("patient/Observation.read", ScopeContext.Patient, "Observation", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("system/*.write", ScopeContext.System, "*", ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete)]
    [InlineData("system/*.*", ScopeContext.System, "*", ScopePermissions.All)]
    public void TryParse_ValidScope_YieldsContextTypeAndPermissions(string text, ScopeContext context, string type, ScopePermissions permissions)
    {
        Assert.True(SmartScope.TryParse(text, out var scope));
        Assert.Equal(new SmartScope(context, type, permissions), scope);
    }

    [Theory]
    [InlineData("system/Observation.sr")]   // v2 letters must keep the order c r u d s
    [InlineData("system/Observation.rr")]
    [InlineData("system/Observation.x")]
    [InlineData("admin/Observation.r")]
    [InlineData("system/observation.r")]
    [InlineData("system/.r")]
    [InlineData("system/Observation.")]
    [InlineData("Observation.r")]
    public void TryParse_Malformed_Fails(string text) => Assert.False(SmartScope.TryParse(text, out _));

    [Fact]
    public void ScopeSet_Covers_ANarrowerRequestOnly()
    {
        Assert.True(ScopeSet.TryParse("system/*.cruds openid", out var granted));
        Assert.True(ScopeSet.TryParse("system/Observation.rs", out var narrower));
        Assert.True(ScopeSet.TryParse("user/Observation.rs", out var otherContext));
        Assert.True(ScopeSet.TryParse("fhirUser", out var notGranted));

        Assert.True(granted.Covers(narrower));
        Assert.False(granted.Covers(otherContext));
        Assert.False(granted.Covers(notGranted));
        Assert.False(narrower.Covers(granted));
    }

    [Fact]
    public void ScopeSet_UnknownScope_IsRejected() => Assert.False(ScopeSet.TryParse("system/*.r delete_everything", out _));
}
