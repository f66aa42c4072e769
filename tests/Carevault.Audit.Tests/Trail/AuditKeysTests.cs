using Carevault.Audit.Trail;
using Carevault.Crypto;
using Carevault.Storage;
using Microsoft.Extensions.Configuration;

namespace Carevault.Audit.Tests.Trail;

/// <summary>The audit key lives outside the database (decision 0017): a key file of its own, or the environment.</summary>
public sealed class AuditKeysTests : IDisposable
{
    readonly string _directory = Path.Combine(Path.GetTempPath(), "cv-audit-keys-" + Guid.NewGuid().ToString("N"));

    static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    StorageSettings Storage() => StorageSettings.From(Config(("DataDirectory", _directory)));

    [Fact]
    public void From_WithoutAKey_GeneratesAnOwnerOnlyKeyFile_AndReadsTheSameKeyBack()
    {
        var first = AuditKeys.From(Config(), Storage());
        var second = AuditKeys.From(Config(), Storage());

        var path = Path.Combine(_directory, "audit.key");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var record = new AuditRecord { TenantId = "t", RecordedAt = 1, Action = "read", Status = 200, ActorKind = "client", ActorId = "c" };
        Assert.Equal(first.Active.Id, second.Active.Id);
        Assert.Equal(AuditHash.Compute(record, 1, AuditHash.Genesis, first.Active), AuditHash.Compute(record, 1, AuditHash.Genesis, second.Active));
        Assert.NotEqual(AuditHash.Compute(record, 1, AuditHash.Genesis), AuditHash.Compute(record, 1, AuditHash.Genesis, first.Active));
    }

    [Fact]
    public void From_Environment_MakesTheFirstKeyActive_AndKeepsTheOthersForVerifying()
    {
        var (newer, older) = (MasterKey.Generate("ak-2"), MasterKey.Generate("ak-1"));

        var keys = AuditKeys.From(Config(("Secrets:AuditKey", $"ak-2:{newer.ExportBase64()},ak-1:{older.ExportBase64()}")), Storage());

        Assert.Equal("ak-2", keys.Active.Id);
        Assert.True(keys.TryGet("ak-1", out _));
        Assert.False(File.Exists(Path.Combine(_directory, "audit.key")));
    }

    [Fact]
    public void From_WhenGenerationIsOffAndNoKeyExists_Refuses()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AuditKeys.From(Config(("Secrets:GenerateMasterKey", "false")), Storage()));

        Assert.Contains("audit key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_AKeyFileReadableByOthers_IsRefused()
    {
        if (OperatingSystem.IsWindows()) return;
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "audit.key");
        File.WriteAllText(path, MasterKeyFile.Format(new MasterKeyRing(MasterKey.Generate())));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.Throws<MasterKeyFileException>(() => AuditKeys.From(Config(), Storage()));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
