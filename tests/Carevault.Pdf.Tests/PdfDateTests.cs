namespace Carevault.Pdf.Tests;

public class PdfDateTests
{
    public static TheoryData<string?, DateTimeOffset?> Cases => new()
    {
        { "D:20240502094500+02'00'", new DateTimeOffset(2024, 5, 2, 9, 45, 0, TimeSpan.FromHours(2)) },
        { "D:20240502094500-05'30", new DateTimeOffset(2024, 5, 2, 9, 45, 0, -new TimeSpan(5, 30, 0)) },
        { "D:20261121220914Z'", new DateTimeOffset(2026, 11, 21, 22, 9, 14, TimeSpan.Zero) },
        { "D:20261121220914Z00'00'", new DateTimeOffset(2026, 11, 21, 22, 9, 14, TimeSpan.Zero) },
        { "D:2024", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        { "D:202405", new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero) },
        { "20240502", new DateTimeOffset(2024, 5, 2, 0, 0, 0, TimeSpan.Zero) },
        { "D:20240502094500+0200", new DateTimeOffset(2024, 5, 2, 9, 45, 0, TimeSpan.FromHours(2)) },
        { "D:20241302", null },
        { "D:20240230", null },
        { "D:20240502256000", null },
        { "Tuesday", null },
        { "", null },
        { null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TryParse_WhenGivenPdfDate_ReturnsExpectedInstant(string? text, DateTimeOffset? expected)
    {
        var parsed = PdfDate.TryParse(text);

        Assert.Equal(expected, parsed);
        if (expected is not null) Assert.Equal(expected.Value.Offset, parsed!.Value.Offset);
    }
}
