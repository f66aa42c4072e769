using Carevault.Audit.Trail;

namespace Carevault.Audit.Tests.Trail;

public sealed class AuditTextTests
{
    [Theory]
    [InlineData("Mozilla/5.0", "Mozilla/5.0")]
    [InlineData("curl\r\n{\"level\":\"Critical\"}", "curl\\u000d\\u000a{\"level\":\"Critical\"}")]
    [InlineData("a\tb\0c\u007f", "a\\u0009b\\u0000c\\u007f")]
    [InlineData("x\u2028y\u202Ez", "x\\u2028y\\u202ez")]
    [InlineData(null, "")]
    public void Clean_EscapesEveryControlCharacter(string? input, string expected) => Assert.Equal(expected, AuditText.Clean(input));

    [Fact]
    public void Clean_CapsTheLength() => Assert.Equal(AuditText.MaxLength, AuditText.Clean(new string('a', 10_000)).Length);
}

public sealed class AuditHashTests
{
    static AuditRecord Record(string actor, string role) => new()
    {
        TenantId = "t", RecordedAt = 1, Action = "read", Status = 200, ActorKind = "user", ActorId = actor, ActorRole = role,
    };

    [Fact]
    public void Compute_MovingTextBetweenFields_ChangesTheHash() =>
        Assert.NotEqual(AuditHash.Compute(Record("ab", "c"), 1, AuditHash.Genesis), AuditHash.Compute(Record("a", "bc"), 1, AuditHash.Genesis));

    [Fact]
    public void Compute_DependsOnSequenceAndPreviousHash()
    {
        var record = Record("a", "b");
        var hash = AuditHash.Compute(record, 1, AuditHash.Genesis);
        Assert.Equal(hash, AuditHash.Compute(record, 1, AuditHash.Genesis));
        Assert.NotEqual(hash, AuditHash.Compute(record, 2, AuditHash.Genesis));
        Assert.NotEqual(hash, AuditHash.Compute(record, 1, new string('1', 64)));
    }
}
