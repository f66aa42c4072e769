using System.Text;
using Carevault.Identity.Auditing;
using Carevault.Identity.Authentication;
using Carevault.Identity.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Carevault.Portal.Live;

/// <summary>
/// <c>GET /portal/live</c>: the signed-in person's Server-Sent Events stream of their own tenant's notices (decision
/// 0021). The pages are plain HTML without the Blazor circuit (decision 0013), so <c>portal.js</c> opens an
/// <c>EventSource</c> here and shows what arrives in a live region; without script the pages work as before.
/// The session cookie alone authenticates (an anonymous caller gets 401, not the sign-in redirect an EventSource
/// cannot follow); the tenant comes from the session. A stream lasts at most <see cref="MaxLifetime"/>, then the
/// browser reconnects — which checks the session again, so a signed-out or disabled person stops receiving.
/// </summary>
public static class LiveEvents
{
    public const string Route = "/portal/live";

    /// <summary>How long one stream stays open before the browser is asked to reconnect (and re-authenticate).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    /// <summary>A comment line this often keeps proxies from closing an idle stream.</summary>
    static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(25);

    public static RouteHandlerBuilder Map(IEndpointRouteBuilder app) =>
        app.MapGet(Route, StreamAsync)
            .WithName("PortalLiveEvents")
            .RequireAuthorization(policy => policy.AddAuthenticationSchemes(SessionAuthenticationHandler.SchemeName).RequireAuthenticatedUser().RequireClaim("kind", "user"))
            .NotAudited("live notices of the tenant's blood requests (no patient data); what a person then opens or answers is audited by its page");

    static async Task StreamAsync(HttpContext http, IBroadcastBus bus, IHostApplicationLifetime host)
    {
        var caller = CallerContext.From(http.User);
        if (caller is null)
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var ct = http.RequestAborted;
        using var subscription = await bus.SubscribeAsync(caller.TenantId, ct);
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        // Tells a buffering reverse proxy (nginx) to pass events on at once.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await WriteAsync(http, "retry: 3000\n: connected\n\n", ct);

        // A stopping server ends its streams at once (the browsers reconnect to another instance) instead of holding shutdown.
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(ct, host.ApplicationStopping);
        lifetime.CancelAfter(MaxLifetime);
        try
        {
            while (true)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
                beat.CancelAfter(Heartbeat);
                BroadcastMessage message;
                try
                {
                    if (!await subscription.Reader.WaitToReadAsync(beat.Token)) return;
                    if (!subscription.Reader.TryRead(out message!)) continue;
                }
                catch (OperationCanceledException) when (!lifetime.IsCancellationRequested)
                {
                    await WriteAsync(http, ": keep-alive\n\n", lifetime.Token);
                    continue;
                }
                // The data is one line of JSON we serialised (no raw newlines), so it is one "data:" field.
                await WriteAsync(http, $"event: {message.Topic}\ndata: {message.Data.Replace("\n", "", StringComparison.Ordinal)}\n\n", lifetime.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away, or the stream's lifetime ended: the browser reconnects after "retry".
        }
    }

    static async Task WriteAsync(HttpContext http, string text, CancellationToken ct)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
