using Carevault.Ingestion.Jobs;

namespace Carevault.Ingestion.Tests;

/// <summary>The worker loops' shared memory budget: waits when spent, in arrival order, and gives back what it took.</summary>
public sealed class ByteBudgetTests
{
    [Fact]
    public async Task Reserve_BeyondWhatIsLeft_WaitsUntilEnoughIsGivenBack()
    {
        var budget = new ByteBudget(100);
        var first = await budget.ReserveAsync(70, default);

        var second = budget.ReserveAsync(50, default);
        Assert.False(second.IsCompleted);
        Assert.Equal(30, budget.Available);

        first.Dispose();
        (await second).Dispose();
        Assert.Equal(100, budget.Available);
    }

    [Fact]
    public async Task Waiting_LargeReservation_IsNotOvertakenBySmallOnesArrivingLater()
    {
        var budget = new ByteBudget(100);
        var held = await budget.ReserveAsync(60, default);
        var large = budget.ReserveAsync(80, default);
        var small = budget.ReserveAsync(10, default); // would fit now, but waits behind the large one

        Assert.False(large.IsCompleted);
        Assert.False(small.IsCompleted);
        held.Dispose();
        var largeHeld = await large;
        (await small).Dispose(); // 80 + 10 fit together once the 60 are back
        largeHeld.Dispose();
        Assert.Equal(100, budget.Available);
    }

    [Fact]
    public async Task CancelledWait_LeavesTheQueue_AndLetsTheNextOneIn()
    {
        var budget = new ByteBudget(100);
        var held = await budget.ReserveAsync(90, default);
        using var cancel = new CancellationTokenSource();
        var cancelled = budget.ReserveAsync(50, cancel.Token);
        var next = budget.ReserveAsync(10, default);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        (await next).Dispose();
        held.Dispose();
        Assert.Equal(100, budget.Available);
    }

    [Fact]
    public async Task Reservation_LargerThanTheBudget_TakesAllOfIt_AndDisposingTwiceGivesBackOnce()
    {
        var budget = new ByteBudget(100);
        var all = await budget.ReserveAsync(500, default);
        Assert.Equal(0, budget.Available);

        all.Dispose();
        all.Dispose();

        Assert.Equal(100, budget.Available);
    }
}
