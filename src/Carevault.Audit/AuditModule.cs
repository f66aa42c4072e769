using Carevault.Audit.Fhir;
using Carevault.Audit.Http;
using Carevault.Audit.Retention;
using Carevault.Audit.Trail;
using Carevault.Identity.Auditing;
using Carevault.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Audit;

/// <summary>
/// The audit module's entry: the tamper-evident trail of who touched which data, when, from where, with what outcome.
/// Structural considerations (decision 0012): endpoints declare <c>.Audited(action)</c> or <c>.NotAudited(reason)</c>
/// (vocabulary in Identity.Auditing, checked by an architecture test); one endpoint filter writes the record and waits
/// for its commit before the response; records are hash-chained per tenant and appended by a group-committing writer
/// (one transaction per batch, the tenant's chain head locked); no route writes, changes or deletes a record.
/// </summary>
public static class AuditModule
{
    public static IServiceCollection AddCarevaultAudit(this IServiceCollection services)
    {
        services.AddSingleton(sp => AuditKeys.From(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<StorageSettings>()));
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<AuditReader>();
        services.AddSingleton<AuditVerifier>();
        services.AddSingleton<AuditRetention>();
        services.AddSingleton<IAuditRecorder, AuditRecorder>();
        services.AddSingleton<IAuditLog, AuditLog>();
        services.AddHostedService<AuditRetentionService>();
        services.AddHostedService<AuditKeyingService>();
        return services;
    }

    public static void MapCarevaultAudit(this IEndpointRouteBuilder app)
    {
        AuditApi.Map(app);
        AuditEventEndpoints.Map(app);
    }
}
