using Carevault.Portal.CheckIns;

namespace Carevault.Api.Tests.Portal;

/// <summary>PHQ-9 and GAD-7 scoring and severity bands as published, at every band boundary.</summary>
public sealed class CheckInScoringTests
{
    [Theory]
    [InlineData(0, "Minimal"), InlineData(4, "Minimal")]
    [InlineData(5, "Mild"), InlineData(9, "Mild")]
    [InlineData(10, "Moderate"), InlineData(14, "Moderate")]
    [InlineData(15, "Moderately severe"), InlineData(19, "Moderately severe")]
    [InlineData(20, "Severe"), InlineData(27, "Severe")]
    public void Phq9_BandBoundaries(int total, string band) => Assert.Equal(band, Instrument.Phq9.BandOf(total).Name);

    [Theory]
    [InlineData(0, "Minimal"), InlineData(4, "Minimal")]
    [InlineData(5, "Mild"), InlineData(9, "Mild")]
    [InlineData(10, "Moderate"), InlineData(14, "Moderate")]
    [InlineData(15, "Severe"), InlineData(21, "Severe")]
    public void Gad7_BandBoundaries(int total, string band) => Assert.Equal(band, Instrument.Gad7.BandOf(total).Name);

    [Theory]
    [InlineData("phq-9", -1), InlineData("phq-9", 28), InlineData("gad-7", -1), InlineData("gad-7", 22)]
    public void TotalsOutsideTheScale_AreRefused(string key, int total) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Instrument.Find(key)!.BandOf(total));

    [Fact]
    public void Score_SumsTheAnswers_AndRefusesMissingOrOutOfRangeAnswers()
    {
        Assert.Equal(27, Instrument.Phq9.Score([3, 3, 3, 3, 3, 3, 3, 3, 3]));
        Assert.Equal(0, Instrument.Phq9.Score([0, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Equal(10, Instrument.Gad7.Score([1, 2, 3, 0, 1, 2, 1]));
        Assert.Throws<ArgumentException>(() => Instrument.Phq9.Score([1, 1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Instrument.Gad7.Score([0, 0, 0, 0, 0, 0, 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Instrument.Gad7.Score([0, 0, 0, 0, 0, 0, -1]));
    }

    [Fact]
    public void Instruments_CarryThePublishedItemsAndAnswers()
    {
        Assert.Equal(9, Instrument.Phq9.Questions.Count);
        Assert.Equal(7, Instrument.Gad7.Questions.Count);
        Assert.Equal("Thoughts that you would be better off dead or of hurting yourself in some way", Instrument.Phq9.Questions[8].Text);
        Assert.Equal("Feeling nervous, anxious or on edge", Instrument.Gad7.Questions[0].Text);
        Assert.Equal(["Not at all", "Several days", "More than half the days", "Nearly every day"], Instrument.Answers.Select(a => a.Display));
        Assert.Equal([0, 1, 2, 3], Instrument.Answers.Select(a => a.Score));
        // Each band follows the previous one without gap or overlap, from 0 to the maximum.
        foreach (var instrument in Instrument.All)
        {
            Assert.Equal(0, instrument.Bands[0].Low);
            Assert.Equal(instrument.MaxScore, instrument.Bands[^1].High);
            for (var i = 1; i < instrument.Bands.Count; i++) Assert.Equal(instrument.Bands[i - 1].High + 1, instrument.Bands[i].Low);
            Assert.All(instrument.Bands, b => Assert.NotEmpty(b.SelfCare));
        }
    }
}
