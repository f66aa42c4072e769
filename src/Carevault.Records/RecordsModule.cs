using Carevault.Fhir.Spec;
using Carevault.Records.Access;
using Carevault.Records.Bundles;
using Carevault.Records.Export;
using Carevault.Fhir.Validation;
using Carevault.Records.Http;
using Carevault.Records.Http.Operations;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Carevault.Records;

/// <summary>
/// The records module's entry: the FHIR R4 resource store and its REST API at <c>/fhir</c>.
/// Structural considerations (docs/decisions/0007-fhir-store.md): resources are stored as JSON with a current table,
/// a history table and one index table per search-value type, all keyed by tenant first; the store is the one door
/// for writes (validate → stamp → index → write in one transaction); searches page by id (keyset), ids being
/// time-ordered UUIDv7s. Endpoints only translate HTTP; every error on /fhir is an OperationOutcome.
/// </summary>
public static class RecordsModule
{
    public static IServiceCollection AddCarevaultRecords(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => FhirSpec.R4); // parsed on first use, not while the host starts (issue 7: cold start)
        services.AddSingleton(sp => new FhirValidator(sp.GetRequiredService<FhirSpec>()));
        services.AddSingleton<ResourceValidation>();
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<SearchQueryParser>();
        services.AddSingleton(sp => new ResourceStore(sp.GetRequiredService<Storage.Database.Db>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ResourceValidation>(), sp.GetRequiredService<SearchIndexer>()));
        services.AddSingleton(_ => new BulkLoadOptions
        {
            BatchSize = configuration.GetValue("Records:Import:BatchSize", 1000),
            MaxLineBytes = configuration.GetValue("Records:Import:MaxLineBytes", 4 * 1024 * 1024),
        });
        services.AddSingleton(sp => new BulkLoader(sp.GetRequiredService<Storage.Database.Db>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ResourceValidation>(), sp.GetRequiredService<SearchIndexer>(), sp.GetRequiredService<FhirSpec>(), sp.GetRequiredService<BulkLoadOptions>()));
        services.AddSingleton(_ => new ImportOptions { MaxRequestBytes = configuration.GetValue("Records:Import:MaxRequestBytes", 1L << 30) });
        services.AddSingleton(_ => new BundleOptions { MaxEntries = configuration.GetValue("Records:MaxBundleEntries", 1000) });
        services.AddSingleton<BundleProcessor>();
        services.AddSingleton<OwnershipRules>();
        services.AddSingleton<FhirAccess>();
        services.AddSingleton<Identity.People.IFhirUserRecords, FhirUserRecords>();
        services.AddSingleton(_ => ExportOptions.From(configuration));
        services.AddSingleton<ExportJobStore>();
        services.AddSingleton<ExportRunner>();
        services.AddSingleton<ExportSignal>();
        services.AddHostedService<ExportWorker>();
        // 401/403 on /fhir answer an OperationOutcome; other endpoints keep the default behaviour.
        services.TryAddSingleton<AuthorizationMiddlewareResultHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, FhirAuthorizationResultHandler>();
        return services;
    }

    public static IEndpointRouteBuilder MapCarevaultRecords(this IEndpointRouteBuilder app)
    {
        FhirRoutes.Map(app);
        return app;
    }
}
