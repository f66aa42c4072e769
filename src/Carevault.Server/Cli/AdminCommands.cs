using System.CommandLine;
using Carevault.Identity.Clients;
using Carevault.Identity.Scopes;
using Carevault.Identity.Tenants;
using Carevault.Identity.Tokens;
using Carevault.Storage.Migrations;

namespace Carevault.Server.Cli;

/// <summary>
/// Operator commands that work on the configured database directly: <c>tenants create</c>, <c>clients create |
/// list | rotate-secret | revoke</c>, <c>users invite | disable | enable</c>, <c>keys rotate-signing</c>.
/// </summary>
public static class AdminCommands
{
    public static IEnumerable<Command> Create(Func<ParseResult, Dictionary<string, string?>> namedOptions)
    {
        var tenantId = new Argument<string>("id") { Description = "Tenant id: 2-40 characters of a-z, 0-9, '-'." };
        var tenantName = new Option<string>("--name") { Description = "Display name, e.g. the hospital's name.", Required = true };
        var createTenant = new Command("create", "Create a tenant (a hospital, lab or clinic).") { tenantId, tenantName };
        createTenant.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            var tenant = await services.GetRequiredService<TenantStore>().CreateAsync(parse.GetValue(tenantId)!, parse.GetValue(tenantName)!, ct);
            if (tenant is null) return Fail($"Tenant '{parse.GetValue(tenantId)}' already exists.");
            Console.Out.WriteLine($"Created tenant {tenant.Id}.");
            return 0;
        }));
        yield return new Command("tenants", "Manage tenants.") { createTenant };

        var tenant = new Option<string>("--tenant") { Description = "Tenant id.", Required = true };
        var clientName = new Option<string>("--name") { Description = "What the client is, e.g. 'LIS interface'.", Required = true };
        var scopes = new Option<string>("--scopes") { Description = "Granted SMART scopes, space-separated, e.g. 'system/Observation.cruds system/Patient.rs'.", Required = true };
        var lifetime = new Option<int?>("--token-minutes") { Description = "Access-token lifetime in minutes (default 30)." };
        var jwksFile = new Option<FileInfo?>("--jwks-file") { Description = "Public keys (JWKS) for private_key_jwt: the client signs assertions instead of using a secret." };
        var createClient = new Command("create", "Register a hospital system; prints its secret once (none with --jwks-file).") { tenant, clientName, scopes, lifetime, jwksFile };
        createClient.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            if (!ScopeSet.TryParse(parse.GetValue(scopes), out var granted) || granted.Values.Count == 0) return Fail("--scopes holds an invalid scope.");
            if (await services.GetRequiredService<TenantStore>().FindAsync(parse.GetValue(tenant)!, ct) is null) return Fail("No such tenant.");
            var minutes = parse.GetValue(lifetime);
            TimeSpan? tokenLifetime = minutes is { } m ? TimeSpan.FromMinutes(m) : null;
            var store = services.GetRequiredService<ClientStore>();
            if (parse.GetValue(jwksFile) is { } file)
            {
                var keyClient = await store.CreateWithKeysAsync(parse.GetValue(tenant)!, parse.GetValue(clientName)!, granted, tokenLifetime, await File.ReadAllTextAsync(file.FullName, ct), ct);
                Console.Out.WriteLine($"client_id:     {keyClient.Id}");
                Console.Out.WriteLine($"scopes:        {keyClient.Scopes}");
                Console.Out.WriteLine("Authenticates with private_key_jwt assertions signed by the registered keys; it has no secret.");
                return 0;
            }
            PrintSecret(await store.CreateAsync(parse.GetValue(tenant)!, parse.GetValue(clientName)!, granted, tokenLifetime, ct));
            return 0;
        }));
        var listClients = new Command("list", "List a tenant's clients and their scopes.") { tenant };
        listClients.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            foreach (var client in await services.GetRequiredService<ClientStore>().ListAsync(parse.GetValue(tenant)!, ct))
                Console.Out.WriteLine($"{client.Id}  {(client.Active ? "active " : "revoked")}  {client.TokenLifetime.TotalMinutes,4} min  {client.Name}  [{client.Scopes}]");
            return 0;
        }));
        var clientId = new Argument<string>("client-id");
        var rotate = new Command("rotate-secret", "Replace a client's secret; prints the new one once.") { clientId, tenant };
        rotate.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            var issued = await services.GetRequiredService<ClientStore>().RotateSecretAsync(parse.GetValue(tenant)!, parse.GetValue(clientId)!, ct);
            if (issued is null) return Fail("No such active client in that tenant.");
            PrintSecret(issued);
            return 0;
        }));
        var revoke = new Command("revoke", "Revoke a client: it gets no more tokens.") { clientId, tenant };
        revoke.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            if (!await services.GetRequiredService<ClientStore>().RevokeAsync(parse.GetValue(tenant)!, parse.GetValue(clientId)!, ct)) return Fail("No such client in that tenant.");
            Console.Out.WriteLine("Revoked. Tokens already issued stay valid until they expire (at most their lifetime).");
            return 0;
        }));
        yield return new Command("clients", "Manage hospital systems (OAuth clients).") { createClient, listClients, rotate, revoke };

        var username = new Option<string>("--username") { Required = true };
        var email = new Option<string>("--email") { Description = "Where the invitation link is sent.", Required = true };
        var role = new Option<string>("--role") { Description = "patient, doctor, staff, admin or auditor.", Required = true };
        var invite = new Command("invite", "Invite a person: an emailed single-use link lets them set a password.") { tenant, username, email, role };
        invite.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            var user = await services.GetRequiredService<Carevault.Identity.People.Invitations>().InviteAsync(
                parse.GetValue(tenant)!, parse.GetValue(username)!, parse.GetValue(email)!, parse.GetValue(role)!, ct);
            if (user is null) return Fail("This username is taken in the tenant.");
            Console.Out.WriteLine($"Invited {user.Username} ({user.Role}), user id {user.Id}. The link is in the outbox.");
            return 0;
        }));
        var userId = new Argument<string>("user-id");
        var disable = new Command("disable", "Disable a user; their sessions end.") { userId, tenant };
        disable.SetAction((parse, ct) => SetActiveAsync(parse, namedOptions, tenant, userId, active: false));
        var enable = new Command("enable", "Re-enable a user.") { userId, tenant };
        enable.SetAction((parse, ct) => SetActiveAsync(parse, namedOptions, tenant, userId, active: true));
        yield return new Command("users", "Manage people's accounts.") { invite, disable, enable };

        var rotateSigning = new Command("rotate-signing", "Start signing tokens with a new key; old keys verify until their tokens expire.");
        rotateSigning.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            var kid = await services.GetRequiredService<SigningKeyRing>().RotateAsync(2 * ClientStore.MaxTokenLifetime, ct);
            Console.Out.WriteLine($"New signing key {kid}. Running servers pick it up within a minute.");
            return 0;
        }));
        var masterKeyId = new Option<string?>("--key-id") { Description = "Id for the new master key (default: derived from the key)." };
        var rotateMaster = new Command("rotate-master",
            "Activate a new master key, re-wrap every stored object's data key under it (headers only, bodies untouched), then retire the old key. Run again to finish a rotation that stopped.")
            { masterKeyId };
        rotateMaster.SetAction((parse, ct) => WithServicesAsync(parse, namedOptions, async services =>
        {
            try
            {
                var report = await services.GetRequiredService<Carevault.Storage.Keys.MasterKeyRotation>()
                    .RotateAsync(parse.GetValue(masterKeyId), message => Console.Out.WriteLine(message), ct);
                Console.Out.WriteLine($"Done: {report.Total.Rewrapped} object(s) re-wrapped, active key {report.ActiveKeyId}.");
                return 0;
            }
            catch (InvalidOperationException e)
            {
                return Fail(e.Message);
            }
            catch (Carevault.Crypto.BlobCryptoException e)
            {
                return Fail($"An object could not be re-wrapped ({e.Error}); the older keys are kept. Fix the cause and run the command again.");
            }
        }));
        yield return new Command("keys", "Manage keys.") { rotateSigning, rotateMaster };
    }

    static Task<int> SetActiveAsync(ParseResult parse, Func<ParseResult, Dictionary<string, string?>> namedOptions, Option<string> tenant, Argument<string> userId, bool active) =>
        WithServicesAsync(parse, namedOptions, async services =>
        {
            if (!await services.GetRequiredService<Carevault.Identity.People.UserStore>().SetActiveAsync(parse.GetValue(tenant)!, parse.GetValue(userId)!, active, CancellationToken.None))
                return Fail("No such user in that tenant.");
            Console.Out.WriteLine(active ? "Enabled." : "Disabled; their sessions end at their next request.");
            return 0;
        });

    static void PrintSecret(IssuedClientSecret issued)
    {
        Console.Out.WriteLine($"client_id:     {issued.Client.Id}");
        Console.Out.WriteLine($"client_secret: {issued.Secret}");
        Console.Out.WriteLine($"scopes:        {issued.Client.Scopes}");
        Console.Out.WriteLine("The secret is shown once and stored only as a hash.");
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }

    internal static async Task<int> WithServicesAsync(ParseResult parse, Func<ParseResult, Dictionary<string, string?>> namedOptions, Func<IServiceProvider, Task<int>> action)
    {
        var options = namedOptions(parse);
        options.TryAdd("Logging:LogLevel:Default", "Warning"); // a one-shot command's output is its answer, not logs
        await using var app = CarevaultHost.Build([.. parse.UnmatchedTokens], options);
        try
        {
            await app.Services.GetRequiredService<Migrator>().MigrateAsync(TimeProvider.System, CancellationToken.None);
            var exitCode = await action(app.Services);
            if (parse.CommandResult.Command.Name != "list") await AuditCommands.RecordAsync(app.Services, parse, exitCode);
            return exitCode;
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
    }
}
