namespace Carevault.Benchmarks;

/// <summary>A file from tests/data, loaded once; its name is what the summary table shows.</summary>
public sealed class TestFile
{
    TestFile(string name, byte[] bytes)
    {
        Name = name;
        Bytes = bytes;
    }

    public string Name { get; }
    public byte[] Bytes { get; }

    public override string ToString() => $"{Name} ({Bytes.Length / 1024.0:0.#} KB)";

    public static TestFile Load(string folder, string name) =>
        new(name, File.ReadAllBytes(Path.Combine(DataRoot, folder, name)));

    /// <summary>tests/data of the repository, found upwards from the binary (bench/.artifacts/bin/…).</summary>
    static string DataRoot { get; } = FindDataRoot();

    static string FindDataRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/data not found above " + AppContext.BaseDirectory);
    }
}
