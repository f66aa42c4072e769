using System.Globalization;
using System.Runtime.InteropServices;

namespace Carevault.LoadGen;

/// <summary>A Linux process's CPU time and memory, read from /proc (proc(5)).</summary>
public static partial class ProcessStats
{
    static readonly long ClockTicks = Math.Max(1, SysConf(2 /* _SC_CLK_TCK */));

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    /// <summary>utime + stime (fields 14 and 15 of /proc/pid/stat) in seconds; children not included.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state), so field 14 is fields[11], field 15 is fields[12].
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (double)ticks / ClockTicks;
    }

    /// <summary>A value in KiB from /proc/pid/status (<c>VmRSS</c>, <c>VmHWM</c>), converted to MiB.</summary>
    public static double StatusMiB(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith(key + ":", StringComparison.Ordinal)) continue;
            var kib = long.Parse(line.AsSpan(key.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            return kib / 1024.0;
        }
        return double.NaN;
    }

    /// <summary>
    /// Resets the peak-RSS mark (<c>VmHWM</c>) by writing 5 to /proc/pid/clear_refs (Linux ≥ 4.0, needs to own the
    /// process or root), so each scenario reports its own peak. False when not permitted: the peak is then since start.
    /// </summary>
    public static bool TryResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The 1-minute load average from /proc/loadavg.</summary>
    public static double LoadAverage1() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
