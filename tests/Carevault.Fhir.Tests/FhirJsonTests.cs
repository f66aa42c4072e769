namespace Carevault.Fhir.Tests;

public sealed class FhirJsonTests
{
    [Fact]
    public void SkipUtf8Bom_WhenBomPresent_DropsThreeBytes()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'];

        Assert.Equal("{}"u8.ToArray(), FhirJson.SkipUtf8Bom(bytes).ToArray());
    }

    [Fact]
    public void SkipUtf8Bom_WhenNoBom_ReturnsInput()
    {
        byte[] bytes = "{}"u8.ToArray();

        Assert.Equal(bytes, FhirJson.SkipUtf8Bom(bytes).ToArray());
        Assert.False(FhirJson.HasUtf8Bom(bytes));
    }
}
