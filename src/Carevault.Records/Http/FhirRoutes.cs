using Carevault.Records.Http.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carevault.Records.Http;

/// <summary>Every /fhir route at a glance (FHIR R4 http.html); one file per interaction under Operations/.</summary>
internal static class FhirRoutes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir").WithMetadata(new FhirEndpointMetadata()).ExcludeFromDescription();
        var secured = fhir.MapGroup("").RequireAuthorization();

        Metadata.Map(fhir);                                      // GET    /fhir/metadata                   capabilities (anonymous)
        Transaction.Map(secured);                                // POST   /fhir                            transaction, batch
        Import.Map(secured);                                     // POST   /fhir/$import                    bulk load (NDJSON, collection/batch Bundle)
        SystemHistory.Map(secured);                              // GET    /fhir/_history                   history-system
        SearchType.Map(secured);                                 // GET    /fhir/{type}                     search-type
                                                                 // POST   /fhir/{type}/_search             search-type
        Create.Map(secured);                                     // POST   /fhir/{type}                     create
        Read.Map(secured);                                       // GET    /fhir/{type}/{id}                read
        VRead.Map(secured);                                      // GET    /fhir/{type}/{id}/_history/{vid} vread
        Update.Map(secured);                                     // PUT    /fhir/{type}/{id}                update
        Patch.Map(secured);                                      // PATCH  /fhir/{type}/{id}                patch (JSON Patch)
        Delete.Map(secured);                                     // DELETE /fhir/{type}/{id}                delete
        Conditional.Map(secured);                                // PUT    /fhir/{type}?search              conditional update
                                                                 // DELETE /fhir/{type}?search              conditional delete
        Validate.Map(secured);                                   // POST   /fhir/{type}[/{id}]/$validate    $validate
        History.Map(secured);                                    // GET    /fhir/{type}/{id}/_history       history-instance
                                                                 // GET    /fhir/{type}/_history            history-type
        CompartmentSearch.Map(secured);                          // GET    /fhir/Patient/{id}/{type}        search-compartment
        PatientEverything.Map(secured);                          // GET    /fhir/Patient/{id}/$everything   Patient $everything
        ExportKickOff.Map(secured);                              // GET    /fhir[/Patient|/Group/{id}]/$export  bulk export kick-off
        ExportStatus.Map(secured);                               // GET    /fhir/$export-status/{id}        bulk export status, DELETE cancels
        ExportFileDownload.Map(secured);                         // GET    /fhir/$export-file/{id}/{name}   bulk export NDJSON file
        Unmatched.Map(fhir);                                     // *      /fhir/**                         404 / 405 as OperationOutcome
    }
}
