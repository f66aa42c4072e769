using Carevault.Crypto;

namespace Carevault.Storage.Keys;

/// <summary>
/// <c>carevault keys rotate-master</c> (docs/decisions/0016-master-key-rotation.md): a new master key becomes active in
/// the key file (older keys kept), every registered <see cref="IMasterKeyRewrapper"/> re-wraps what it holds under it —
/// headers only, bodies untouched — and only when a full pass finds nothing left under an older key are the older keys
/// removed from the file. A run that stopped half-way (crash, Ctrl-C, a store outage) leaves the key file with more
/// than one key; the next run sees that and finishes the same rotation instead of starting another.
/// </summary>
public sealed class MasterKeyRotation(MasterKeys keys, IEnumerable<IMasterKeyRewrapper> rewrappers)
{
    const int MaxPasses = 5;

    /// <summary>
    /// How long to wait after activating the new key before the passes that decide completion, so running servers
    /// (which look at the key file every <see cref="MasterKeys.ReloadInterval"/>) write under it by then.
    /// </summary>
    public TimeSpan SettleTime { get; init; } = 2 * MasterKeys.ReloadInterval;

    public async Task<MasterKeyRotationReport> RotateAsync(string? newKeyId, Action<string> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var ring = keys.ReloadNow();
        bool fromFile = keys.FilePath is not null;
        bool resumed = ring.Keys.Count > 1;
        if (!fromFile && !resumed)
            throw new InvalidOperationException(
                "The master key comes from Secrets:MasterKey (environment), which this command cannot change: put a new key first in it " +
                "(id:base64 of 32 random bytes, then the current entries), restart the servers, and run this command again to re-wrap under it.");

        if (resumed)
        {
            progress($"Resuming: {ring.Keys.Count - 1} older key(s) still in the ring; re-wrapping under the active key {ring.Active.Id}.");
        }
        else
        {
            var newKey = MasterKey.Generate(newKeyId);
            ring = ring.Rotate(newKey);
            keys.Save(ring); // before any object is re-wrapped: a crash from here on keeps both keys in the file
            progress($"New master key {newKey.Id} is active; the old key is kept until every object is re-wrapped.");
        }
        var oldIds = ring.Keys.Skip(1).Select(k => k.Id).ToList();

        if (SettleTime > TimeSpan.Zero) await Task.Delay(SettleTime, ct);
        var total = new RewrapCount();
        for (int pass = 1; ; pass++)
        {
            var passCount = await PassAsync(ring, progress, ct);
            total += passCount;
            if (passCount.Rewrapped == 0) break; // a full pass found nothing under an older key
            if (pass == MaxPasses)
                throw new InvalidOperationException($"Objects under older keys still appear after {MaxPasses} passes; the older keys are kept. Run the command again.");
        }

        if (!fromFile)
        {
            progress($"Every object is wrapped by {ring.Active.Id}. Remove {string.Join(", ", oldIds)} from Secrets:MasterKey and restart the servers.");
            return new MasterKeyRotationReport(ring.Active.Id, oldIds, total, Resumed: resumed, Retired: false);
        }

        // Retire: the file keeps only the active key. This process still holds the old ring, so one more pass catches
        // anything a server wrote under an old key between the last pass and its next look at the file.
        var retiredRing = new MasterKeyRing(ring.Active);
        keys.Save(retiredRing);
        total += await PassAsync(ring, progress, ct);
        progress($"Retired {string.Join(", ", oldIds)}; every object is wrapped by {ring.Active.Id}.");
        return new MasterKeyRotationReport(ring.Active.Id, oldIds, total, Resumed: resumed, Retired: true);
    }

    async Task<RewrapCount> PassAsync(MasterKeyRing ring, Action<string> progress, CancellationToken ct)
    {
        var pass = new RewrapCount();
        foreach (var rewrapper in rewrappers)
        {
            var count = await rewrapper.RewrapAsync(ring, ct);
            if (count.Rewrapped > 0 || count.Missing > 0)
                progress($"{rewrapper.Name}: {count.Rewrapped} re-wrapped" + (count.Missing > 0 ? $", {count.Missing} without a stored object" : ""));
            pass += count;
        }
        return pass;
    }
}

/// <summary>What a rotation did.</summary>
/// <param name="ActiveKeyId">The master key that now wraps every object.</param>
/// <param name="OlderKeyIds">The keys it replaced (retired when <paramref name="Retired"/>).</param>
public sealed record MasterKeyRotationReport(string ActiveKeyId, IReadOnlyList<string> OlderKeyIds, RewrapCount Total, bool Resumed, bool Retired);
