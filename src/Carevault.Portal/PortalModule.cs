using Carevault.Identity.Auditing;
using Carevault.Portal.Appointments;
using Carevault.Portal.Auditing;
using Carevault.Portal.BloodRequests;
using Carevault.Portal.Components;
using Carevault.Portal.Live;
using Carevault.Portal.Records;
using Carevault.Portal.Security;
using Carevault.Storage;
using Carevault.Storage.Database;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Portal;

/// <summary>
/// The web portal's entry: Blazor pages rendered on the server by the same process as the APIs.
/// Structural considerations (docs/decisions/0013-portal-rendering.md): pages are static server-side rendered
/// (no circuit, no WebSocket); every form is a plain HTML post with an anti-forgery token, validated on the server;
/// pages call the identity module's services and read clinical data only through <see cref="IPortalRecords"/>, which
/// applies <c>AccessPolicy</c> and finds the caller's Patient through their <c>fhirUser</c> link. No page takes a record id or health data in its URL.
/// </summary>
public static class PortalModule
{
    /// <summary>Pages that take a password or a secret link, by route, with the endpoint name the rate limiter knows.</summary>
    public static readonly IReadOnlyDictionary<string, string> CredentialPages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/login"] = "PortalSignIn",
        ["/forgot-password"] = "PortalRequestPasswordReset",
        ["/reset-password"] = "PortalConfirmPasswordReset",
        ["/accept-invitation"] = "PortalAcceptInvitation",
    };

    public static IServiceCollection AddCarevaultPortal(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddCascadingAuthenticationState();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, PortalAuthenticationHandler>(PortalAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(PortalPolicies.Add);
        services.AddSingleton<IPortalRecords, PortalRecords>();
        services.AddSingleton<AppointmentBook>();
        services.AddSingleton<Carevault.Portal.CheckIns.CheckIns>();
        services.AddSingleton<IBroadcastBus>(sp => sp.GetRequiredService<Db>().Provider == DatabaseProvider.Postgres
            ? ActivatorUtilities.CreateInstance<PostgresBroadcastBus>(sp)
            : new InProcessBroadcastBus());
        services.AddSingleton<BloodRequestDesk>();
        services.AddSingleton<Carevault.Portal.Notifications.PatientNotifications>();
        services.AddSingleton<Carevault.Portal.Accounts.PatientRegistration>();
        services.AddSingleton<Admin.AdminConsole>();
        services.AddSingleton<Admin.AuditTrailViewer>();
        services.AddSingleton<Admin.SystemStatus>();
        services.AddSingleton<Documents.PatientDocuments>();
        services.AddSingleton<Carevault.Portal.Clinical.ClinicalChart>();
        services.AddSingleton<Carevault.Portal.Clinical.ChartSelection>();
        return services;
    }

    /// <summary>
    /// Serves the portal's files (under <c>_content/Carevault.Portal/</c>) from a build as well as from a publish: a
    /// published server has them in its wwwroot, a built one (<c>dotnet run</c>, tests) finds them through the build's
    /// static-web-assets manifest, which ASP.NET reads by itself only in the Development environment. Call once the
    /// application name is final.
    /// </summary>
    public static WebApplicationBuilder UseCarevaultPortalAssets(this WebApplicationBuilder builder)
    {
        StaticWebAssetsLoader.UseStaticWebAssets(builder.Environment, builder.Configuration);
        // Without this, a built server maps a catch-all "{**path:file}" route that answers for files missing from the
        // manifest; every route here must declare who may call it, and an unknown path keeps its problem+json 404.
        builder.Configuration["DisableStaticAssetNotFoundRuntimeFallback"] = "true";
        return builder;
    }

    /// <summary>Maps the pages and their static files; call after authentication and authorization.</summary>
    public static WebApplication MapCarevaultPortal(this WebApplication app)
    {
        // Razor component endpoints carry anti-forgery metadata: this middleware validates every form post.
        app.UseAntiforgery();
        // Component endpoints run no endpoint filters: pages declared [AuditedPage] are recorded around them instead.
        app.UsePageAudit();
        LiveEvents.Map(app);
        app.MapStaticAssets().AllowAnonymous().NotAudited("the portal's own CSS and script; no data");
        Documents.DocumentDownload.Map(app);
        app.MapRazorComponents<App>().Add(endpoint =>
        {
            // Each page declares its audit ([AuditedPage] or [NotAuditedPage]); the architecture test finds any that does not.
            if (PageAudit.MetadataFor(endpoint.Metadata) is { } audit) endpoint.Metadata.Add(audit);
            // Named so the credential rate limit (per client address, strictest) covers the pages that check passwords.
            if (endpoint is not RouteEndpointBuilder { RoutePattern.RawText: { } route }) return;
            if (CredentialPages.TryGetValue(route, out var name)) endpoint.Metadata.Add(new EndpointNameMetadata(name));
            // The framework's redirect helper for enhanced navigation (unused: no blazor.web.js) is public and holds no data.
            if (route == "/_framework/opaque-redirect")
            {
                endpoint.Metadata.Add(new AllowAnonymousAttribute());
                endpoint.Metadata.Add(new NotAuditedMetadata("the framework's redirect helper: no data"));
            }
        });
        return app;
    }
}
