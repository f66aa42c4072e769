using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carevault.Api.Tests.Infrastructure;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Api.Tests.Identity;

public sealed partial class InvitationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public async Task Invitation_EmailsASingleUseLink_ThatActivatesTheAccount(DatabaseProvider provider)
    {
        await using var app = await CarevaultApp.StartAsync(provider, Mail.Settings());
        var tenant = "h-" + Guid.NewGuid().ToString("N")[..12];
        await app.Services.GetRequiredService<TenantStore>().CreateAsync(tenant, "Hospital", default);
        await app.Services.GetRequiredService<UserStore>().CreateAsync(tenant, "admin", "administrator passphrase", Roles.Admin, default);
        using var admin = app.CreateClient();
        (await admin.PostAsJsonAsync("/api/auth/login", new { tenant, username = "admin", password = "administrator passphrase" })).EnsureSuccessStatusCode();
        using var nurse = app.CreateClient();

        var invited = await admin.PostAsJsonAsync("/api/admin/invitations", new { username = "nurse.kim", email = "kim@example.org", role = "staff" });
        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        Assert.Equal("invited", (await invited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await nurse.PostAsJsonAsync("/api/auth/login", new { tenant, username = "nurse.kim", password = "!" })).StatusCode);

        var eml = await Mail.WaitForEmlAsync(app, m => m.Headers["To"] == "kim@example.org");
        var token = InvitationLink().Match(eml.Body).Groups[1].Value;
        Assert.NotEmpty(token);

        var weak = await nurse.PostAsJsonAsync("/api/auth/invitation/accept", new { token, password = "short" });
        var accepted = await nurse.PostAsJsonAsync("/api/auth/invitation/accept", new { token, password = "nurse's own passphrase" });
        var reused = await nurse.PostAsJsonAsync("/api/auth/invitation/accept", new { token, password = "another passphrase!" });

        await ProblemAssert.IsProblemAsync(weak, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
        await ProblemAssert.IsProblemAsync(reused, HttpStatusCode.BadRequest, "validation-failed");
        var signedIn = await nurse.PostAsJsonAsync("/api/auth/login", new { tenant, username = "nurse.kim", password = "nurse's own passphrase" });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal("staff", (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Invitation_WithAHeaderInjectingEmail_IsRefused()
    {
        await using var app = await CarevaultApp.StartAsync(DatabaseProvider.Sqlite);
        var invitations = app.Services.GetRequiredService<Invitations>();

        await Assert.ThrowsAsync<ArgumentException>(() => invitations.InviteAsync("system", "x", "a@b.org\r\nBcc: all@evil.example", Roles.Staff, default));
    }

    [GeneratedRegex("accept-invitation\\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex InvitationLink();
}
