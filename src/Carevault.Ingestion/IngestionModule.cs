using Carevault.Ingestion.Endpoints;
using Carevault.Ingestion.Intake;
using Carevault.Ingestion.Jobs;
using Carevault.Ingestion.Mllp;
using Carevault.Ingestion.Processing;
using Carevault.Records.Bundles;
using Carevault.Records.Search;
using Carevault.Records.Store;
using Carevault.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Carevault.Ingestion;

/// <summary>
/// The ingestion module's entry: report files in (HTTP, and the MLLP listener through <see cref="ReportIntake"/>),
/// FHIR resources out. Structural considerations (docs/decisions/0010-ingestion-queue.md): an upload streams through
/// the scanners into the encrypted blob store while it is hashed, then becomes a job row — durable before the 202;
/// workers claim rows with a lease (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL), and a job's resources commit in
/// the same database transaction as its completion, so a crash never leaves resources without a completed job and a
/// rerun never duplicates them. Formats plug in as <see cref="IReportProcessor"/>s; HL7 v2, DICOM and PDF go through
/// one <see cref="ReportMapping"/> delegate (the mapping library).
/// </summary>
public static class IngestionModule
{
    public static IServiceCollection AddCarevaultIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => IngestionOptions.From(configuration));
        services.AddSingleton<JobStore>();
        services.AddSingleton<JobSignal>();
        services.AddSingleton<IngestionMetrics>();
        services.AddSingleton<ReportIntake>();
        services.AddSingleton<Originals.ReportOriginals>();
        services.AddSingleton(sp => new ConsentCheck(sp.GetRequiredService<ResourceStore>(), sp.GetRequiredService<SearchQueryParser>()));
        services.AddSingleton<IReportProcessor, FhirReportProcessor>();
        services.TryAddSingleton<ReportMapping>(Mapping.ReportMapper.Map);
        foreach (var format in (ReportFormat[])[ReportFormat.Hl7v2, ReportFormat.Dicom, ReportFormat.Pdf])
            services.AddSingleton<IReportProcessor>(sp => new MappedReportProcessor(format, sp.GetRequiredService<ReportMapping>()));
        services.AddSingleton(sp => new JobPipeline(sp.GetRequiredService<JobStore>(), sp.GetRequiredService<EncryptedBlobStore>(), sp.GetRequiredService<BundleProcessor>(),
            sp.GetRequiredService<ConsentCheck>(), sp.GetServices<IReportProcessor>(), sp.GetRequiredService<IngestionOptions>(), sp.GetRequiredService<IngestionMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<JobPipeline>>()));
        services.AddHostedService<JobWorker>();
        // `carevault keys rotate-master` re-wraps each job's original (docs/decisions/0016-master-key-rotation.md).
        services.AddSingleton<Storage.Keys.IMasterKeyRewrapper>(sp => new Storage.Keys.BlobTableRewrapper(
            sp.GetRequiredService<Storage.Database.Db>(), sp.GetRequiredService<EncryptedBlobStore>(), "ingestion_jobs", "id", "blob_key", "master_key_id"));
        services.AddSingleton<MllpIntake.Service>();
        services.AddHostedService(sp => sp.GetRequiredService<MllpIntake.Service>());
        return services;
    }

    public static IEndpointRouteBuilder MapCarevaultIngestion(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IngestionOptions>();
        ReportEndpoints.Map(app, options);
        JobEndpoints.Map(app);
        IngestionAdminEndpoints.Map(app);
        return app;
    }
}
