using Carevault.Identity.Authentication;
using Carevault.Identity.Clients;
using Carevault.Identity.Endpoints;
using Carevault.Identity.People;
using Carevault.Identity.Tenants;
using Carevault.Identity.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Identity;

/// <summary>
/// The identity module's entry: tenants, hospital clients, tokens and their validation.
/// Structural considerations: tokens are self-contained JWTs (no database read per request) signed by a key ring
/// shared through the database; secrets and private keys are stored only hashed or sealed. See decision 0006.
/// </summary>
public static class IdentityModule
{
    public static IServiceCollection AddCarevaultIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => TokenOptions.From(configuration));
        services.AddSingleton<SigningKeyRing>();
        // Values sealed under the master key, re-wrapped by `carevault keys rotate-master` (decision 0016).
        foreach (var (table, id, column) in (ReadOnlySpan<(string, string, string)>)[("signing_keys", "kid", "private_key"), ("users", "id", "totp_secret"), ("users", "id", "totp_pending_secret"), ("outbox_messages", "id", "body")])
            services.AddSingleton<Storage.Keys.IMasterKeyRewrapper>(sp => new Storage.Keys.SealedColumnRewrapper(sp.GetRequiredService<Storage.Database.Db>(), table, id, column));
        services.AddSingleton<RevocationList>();
        services.AddSingleton<AuthorizationGrants>();
        services.AddAntiforgery();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<ClientStore>();
        services.AddSingleton<ClientAssertions>();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<SignInService>();
        services.AddSingleton<UserStore>();
        services.AddCarevaultAccountRecovery(configuration);
        services.AddAuthentication(CarevaultAuthentication.SchemeName)
            .AddPolicyScheme(CarevaultAuthentication.SchemeName, null, policy => policy.ForwardDefaultSelector = CarevaultAuthentication.SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }

    public static void MapCarevaultIdentity(this IEndpointRouteBuilder app)
    {
        TokenEndpoint.Map(app);
        DiscoveryEndpoints.Map(app);
        MeEndpoint.Map(app);
        SignInEndpoints.Map(app);
        PasswordResetEndpoints.Map(app);
        TotpEndpoints.Map(app);
        AdminEndpoints.Map(app);
        RevocationEndpoints.Map(app);
        RegistrationEndpoint.Map(app);
        AuthorizeEndpoint.Map(app);
    }
}
