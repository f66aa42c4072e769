using Carevault.Api.Tests.Infrastructure;
using Carevault.TestKit;
using Microsoft.Data.Sqlite;

namespace Carevault.Api.Tests.Audit;

/// <summary><c>carevault audit verify</c> on the real binary; operator commands are recorded.</summary>
public sealed class AuditCliTests : IDisposable
{
    readonly string _dataDirectory = Directory.CreateTempSubdirectory("carevault-audit-cli-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Verify_PassesOnRecordedOperatorCommands_AndNamesAnEditedRecord()
    {
        string[] data = ["--data-dir", _dataDirectory];
        Assert.Equal(0, (await CarevaultProcess.RunAsync(["tenants", "create", "st-judes", "--name", "St Jude's", .. data])).ExitCode);
        Assert.Equal(0, (await CarevaultProcess.RunAsync(["clients", "create", "--tenant", "st-judes", "--name", "LIS", "--scopes", "system/Observation.rs", .. data])).ExitCode);
        Assert.Equal(0, (await CarevaultProcess.RunAsync(["keys", "rotate-signing", .. data])).ExitCode);

        var intact = await CarevaultProcess.RunAsync(["audit", "verify", .. data]);

        Assert.Equal(0, intact.ExitCode);
        Assert.Contains("st-judes: intact, 2 records", intact.Output, StringComparison.Ordinal);
        Assert.Contains("system: intact, 1 records", intact.Output, StringComparison.Ordinal);
        await using (var db = TestDatabase.OpenDataFolder(_dataDirectory))
        await using (var connection = await db.OpenAsync(default))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT action || ' ' || detail || ' ' || actor_kind FROM audit_records WHERE tenant_id = 'st-judes' ORDER BY seq";
            var rows = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
            Assert.Equal(["admin cli: tenants create operator", "admin cli: clients create operator"], rows);
        }
        await using (var db = TestDatabase.OpenDataFolder(_dataDirectory))
            await db.ExecuteAsync("UPDATE audit_records SET detail = 'cli: clients list' WHERE tenant_id = 'st-judes' AND seq = 2", null, default);

        var broken = await CarevaultProcess.RunAsync(["audit", "verify", "--tenant", "st-judes", .. data]);

        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("st-judes: BROKEN at record 2: record 2 was edited", broken.Output, StringComparison.Ordinal);
    }
}
