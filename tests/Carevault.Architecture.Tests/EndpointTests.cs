using Carevault.Identity.Auditing;
using Carevault.Storage;
using Carevault.TestKit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carevault.Architecture.Tests;

/// <summary>Every mapped route states who may call it: authorization metadata, or an explicit AllowAnonymous.</summary>
public sealed class EndpointTests
{
    [Fact]
    public async Task EveryEndpoint_DeclaresAuthorizationOrAnonymity()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var factory = new WebApplicationFactory<Carevault.Server.Program>().WithWebHostBuilder(web =>
            web.ConfigureAppConfiguration(config => config.AddInMemoryCollection(database.Settings())));
        _ = factory.Server;

        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/me");
        var undeclared = endpoints
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && e.Metadata.GetMetadata<IAuthorizeData>() is null)
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        Assert.Empty(undeclared);
    }

    /// <summary>Every mapped route states whether its calls enter the audit trail (decision 0012).</summary>
    [Fact]
    public async Task EveryEndpoint_DeclaresAuditOrExplicitNonAudit()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var factory = new WebApplicationFactory<Carevault.Server.Program>().WithWebHostBuilder(web =>
            web.ConfigureAppConfiguration(config => config.AddInMemoryCollection(database.Settings())));
        _ = factory.Server;

        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/fhir/{type}/{id}" && e.Metadata.GetMetadata<AuditedMetadata>()?.Action == AuditAction.Read);
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/auth/login" && e.Metadata.GetMetadata<AuditedMetadata>()?.Action == AuditAction.Login);
        var undeclared = endpoints
            .Where(e => e.Metadata.GetMetadata<AuditedMetadata>() is null && e.Metadata.GetMetadata<NotAuditedMetadata>() is null)
            .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])} {e.RoutePattern.RawText}")
            .ToList();
        Assert.Empty(undeclared);
        var both = endpoints
            .Where(e => e.Metadata.GetMetadata<AuditedMetadata>() is not null && e.Metadata.GetMetadata<NotAuditedMetadata>() is not null)
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        Assert.Empty(both);
    }
}
