using System.Formats.Tar;
using System.IO.Compression;

namespace Warden.Policy.Tests.Conformance;

/// <summary>Extracts the shared Cedar conformance corpus into a temp folder once per test run.</summary>
public sealed class CorpusFixture : IDisposable
{
    private const string RelativeCorpusFolder = "shared/conformance/cedar";

    public CorpusFixture()
    {
        var folder = FindCorpusFolder();
        if (folder is null)
        {
            return;
        }

        Root = Path.Combine(Path.GetTempPath(), "warden-cedar-corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        using var file = File.OpenRead(Path.Combine(folder, "cedar-conformance.tar.gz"));
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gz, Root, overwriteFiles: true);
    }

    /// <summary>The extraction root, or null when the shared corpus is not available.</summary>
    public string? Root { get; }

    public void Dispose()
    {
        if (Root is not null && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static string? FindCorpusFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativeCorpusFolder);
            if (File.Exists(Path.Combine(candidate, "cedar-conformance.tar.gz")))
            {
                return candidate;
            }
        }

        return null;
    }
}

[CollectionDefinition(Name)]
public sealed class CorpusCollection : ICollectionFixture<CorpusFixture>
{
    public const string Name = "Cedar corpus";
}
