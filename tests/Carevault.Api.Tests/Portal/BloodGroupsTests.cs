using Carevault.Portal.BloodRequests;

namespace Carevault.Api.Tests.Portal;

/// <summary>The red-cell compatibility table, written out in full so a wrong rule cannot agree with itself.</summary>
public sealed class BloodGroupsTests
{
    /// <summary>Recipient → the donors whose red cells they may receive (American Red Cross red-cell chart).</summary>
    public static TheoryData<string, string[]> Table => new()
    {
        { "O-", ["O-"] },
        { "O+", ["O-", "O+"] },
        { "A-", ["O-", "A-"] },
        { "A+", ["O-", "O+", "A-", "A+"] },
        { "B-", ["O-", "B-"] },
        { "B+", ["O-", "O+", "B-", "B+"] },
        { "AB-", ["O-", "A-", "B-", "AB-"] },
        { "AB+", ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"] },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void CanDonateTo_ForEachRecipient_AllowsExactlyTheCompatibleDonors(string recipient, string[] donors)
    {
        var to = BloodGroups.ByKey(recipient)!;
        foreach (var donor in BloodGroups.All)
            Assert.True(BloodGroups.CanDonateTo(donor, to) == donors.Contains(donor.Key), $"{donor.Key} → {recipient}");
        Assert.Equal(donors, BloodGroups.DonorsFor(to).Select(g => g.Key).ToArray());
    }

    [Fact]
    public void Groups_HaveDistinctSnomedCodes_AndRoundTripByKeyAndCode()
    {
        Assert.Equal(8, BloodGroups.All.Select(g => g.Snomed).Distinct().Count());
        foreach (var group in BloodGroups.All)
        {
            Assert.Same(group, BloodGroups.ByKey(group.Key));
            Assert.Same(group, BloodGroups.BySnomed(group.Snomed));
        }
        Assert.Equal("278148006", BloodGroups.ByKey("O-")!.Snomed);
        Assert.Equal("Blood group AB Rh(D) positive", BloodGroups.ByKey("AB+")!.SnomedDisplay);
        Assert.Null(BloodGroups.ByKey("o-"));
        Assert.Null(BloodGroups.ByKey("<script>"));
    }
}
