using Carevault.Identity.Clients;

namespace Carevault.Identity.Tests.Clients;

public sealed class ClientSecretTests
{
    [Fact]
    public void Hash_IsSaltedAndVerifies()
    {
        var secret = ClientSecret.Generate();

        var first = ClientSecret.Hash(secret);
        var second = ClientSecret.Hash(secret);

        Assert.StartsWith(ClientSecret.Prefix, secret, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain(secret, first, StringComparison.Ordinal);
        Assert.True(ClientSecret.Verify(secret, first));
        Assert.True(ClientSecret.Verify(secret, second));
        Assert.False(ClientSecret.Verify(secret + "x", first));
        Assert.False(ClientSecret.Verify(secret, "v0$garbage"));
    }
}
