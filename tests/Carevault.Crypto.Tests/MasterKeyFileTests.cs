using Carevault.Crypto;

namespace Carevault.Crypto.Tests;

public sealed class MasterKeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("carevault-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void SaveThenLoad_RoundTripsKeysAndActive()
    {
        var ring = new MasterKeyRing(MasterKey.Generate("current"), [MasterKey.Generate("older"), MasterKey.Generate()]);
        var path = PathOf("master.keys");

        MasterKeyFile.Save(path, ring);
        var loaded = MasterKeyFile.Load(path);

        Assert.Equal("current", loaded.Active.Id);
        Assert.Equal(ring.Keys.Select(k => k.Id), loaded.Keys.Select(k => k.Id));
        Assert.Equal(ring.Keys.Select(k => k.ExportBase64()), loaded.Keys.Select(k => k.ExportBase64()));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupWrite)]
    public void Load_WhenModeBroaderThan0600_Refuses(UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = PathOf("master.keys");
        MasterKeyFile.Save(path, TestBlobs.Ring());
        File.SetUnixFileMode(path, mode);

        var ex = Assert.Throws<MasterKeyFileException>(() => MasterKeyFile.Load(path));
        Assert.Contains("0600", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    public void Load_WhenMode0600OrNarrower_Loads(UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = PathOf("master.keys");
        var ring = TestBlobs.Ring("k1");
        MasterKeyFile.Save(path, ring);
        File.SetUnixFileMode(path, mode);

        Assert.Equal("k1", MasterKeyFile.Load(path).Active.Id);
    }

    [Fact]
    public void GenerateAndActivate_Twice_KeepsOlderKeyAndActivatesNewest()
    {
        var path = PathOf("master.keys");

        var first = MasterKeyFile.GenerateAndActivate(path);
        var second = MasterKeyFile.GenerateAndActivate(path, "rotated-1");

        Assert.Equal("rotated-1", second.Active.Id);
        Assert.Equal(new[] { "rotated-1", first.Active.Id }, MasterKeyFile.Load(path).Keys.Select(k => k.Id));
        Assert.StartsWith("mk-", first.Active.Id, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("carevault-master-keys v2\nactive a\n")]
    [InlineData("carevault-master-keys v1\nkey a AAAA\n")]
    [InlineData("carevault-master-keys v1\nactive b\nkey a AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")]
    [InlineData("carevault-master-keys v1\nactive a\nkey a AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nkey a AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")]
    [InlineData("carevault-master-keys v1\nactive a b\n")]
    public void Parse_WhenMalformed_Throws(string text)
    {
        Assert.Throws<MasterKeyFileException>(() => MasterKeyFile.Parse(text));
    }

    [Fact]
    public void Parse_WithCommentsAndCrLf_Reads()
    {
        var text = "# keys\r\ncarevault-master-keys v1\r\n\r\nactive a\r\nkey a AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n";

        var ring = MasterKeyFile.Parse(text);

        Assert.Equal("a", ring.Active.Id);
        Assert.Equal("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", ring.Active.ExportBase64());
    }

    [Fact]
    public void FromBase64_WithEnvironmentValue_FirstEntryIsActive()
    {
        var a = MasterKey.Generate("env-a");
        var b = MasterKey.Generate();

        var ring = MasterKeyRing.FromBase64($"env-a:{a.ExportBase64()}, {b.ExportBase64()}");

        Assert.Equal("env-a", ring.Active.Id);
        Assert.True(ring.TryGetKey(b.Id, out var found));
        Assert.Equal(b.ExportBase64(), found.ExportBase64());
        Assert.Equal(MasterKey.DeriveId(Convert.FromBase64String(b.ExportBase64())), b.Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("0123456789012345678901234567890123")]
    [InlineData("ключ")]
    public void Generate_WithInvalidId_Throws(string id)
    {
        Assert.Throws<ArgumentException>(() => MasterKey.Generate(id));
    }

    [Fact]
    public void Without_RemovesOldKeyButNeverActive()
    {
        var ring = TestBlobs.Ring("old").Rotate(MasterKey.Generate("new"));

        Assert.False(ring.Without("old").TryGetKey("old", out _));
        Assert.Throws<InvalidOperationException>(() => ring.Without("new"));
    }
}
