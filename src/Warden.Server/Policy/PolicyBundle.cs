using System.Security.Cryptography;
using System.Text;
using Warden.Policy;
using Warden.Policy.Parsing;
using Warden.Policy.Schemas;
using Warden.Policy.Validation;

namespace Warden.Server.Policy;

/// <summary>
/// A policy set as it is kept in Git: <c>*.cedar</c> policy files, an optional <c>*.cedarschema</c> (Warden's own schema
/// when absent) and tests under <c>tests/</c> in Cedar's integration-test format. A policy's id is its <c>@id("...")</c>
/// annotation, or <c>file.cedar#N</c> without one. The content hash covers every file, so a version names its exact
/// content.
/// </summary>
public sealed class PolicyBundle
{
    /// <summary>Most files a bundle may hold.</summary>
    public const int MaxFiles = 200;

    /// <summary>Largest file accepted, in bytes.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly Lazy<PolicyBundle> DefaultBundle = new(() => Load(ReadDefaults()));

    private PolicyBundle(IReadOnlyDictionary<string, string> files, CedarSchema schema, PolicySet policies, string contentHash)
    {
        Files = files;
        Schema = schema;
        Policies = policies;
        ContentHash = contentHash;
    }

    /// <summary>Warden's shipped schema, default policies and their tests.</summary>
    public static PolicyBundle Default => DefaultBundle.Value;

    /// <summary>Warden's schema text.</summary>
    public static string WardenSchemaText => Default.Files["warden.cedarschema"];

    /// <summary>Every file, by relative path with forward slashes, in ordinal order.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>The schema policies are validated and requests are checked against.</summary>
    public CedarSchema Schema { get; }

    /// <summary>The policies, with their ids.</summary>
    public PolicySet Policies { get; }

    /// <summary><c>sha256:</c> and the hex SHA-256 over every path and content.</summary>
    public string ContentHash { get; }

    /// <summary>The test files.</summary>
    public IEnumerable<string> TestFiles => Files.Keys.Where(f => f.StartsWith("tests/", StringComparison.Ordinal) && f.EndsWith(".json", StringComparison.Ordinal) && !f.EndsWith("entities.json", StringComparison.Ordinal));

    /// <summary>Reads a bundle from a folder (recursively; dot-folders skipped).</summary>
    public static PolicyBundle FromDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new PolicyBundleException([$"{directory} is not a folder."]);
        }

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(directory, path).Replace('\\', '/');
            if (relative.Split('/').Any(part => part.StartsWith('.')) || !IsBundleFile(relative))
            {
                continue;
            }

            files[relative] = File.ReadAllText(path);
        }

        return Load(files);
    }

    /// <summary>Parses and checks a bundle; every problem is reported at once in a <see cref="PolicyBundleException"/>.</summary>
    public static PolicyBundle Load(IReadOnlyDictionary<string, string> input)
    {
        var errors = new List<string>();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, content) in input)
        {
            if (!IsSafeName(name))
            {
                errors.Add($"{name}: not an allowed file name (relative path, no '..', ending in .cedar, .cedarschema or .json).");
            }
            else if (Encoding.UTF8.GetByteCount(content) > MaxFileBytes)
            {
                errors.Add($"{name}: larger than {MaxFileBytes / 1024} KiB.");
            }
            else
            {
                files[name] = content;
            }
        }

        if (files.Count > MaxFiles)
        {
            errors.Add($"A bundle holds at most {MaxFiles} files.");
        }

        var schemaFiles = files.Keys.Where(f => f.EndsWith(".cedarschema", StringComparison.Ordinal)).ToList();
        if (schemaFiles.Count > 1)
        {
            errors.Add($"More than one schema: {string.Join(", ", schemaFiles)}.");
        }

        CedarSchema? schema = null;
        var schemaText = schemaFiles.Count == 1 ? files[schemaFiles[0]] : null;
        // The shipped bundle carries its own schema file, so falling back to Warden's schema never recurses.
        if (!CedarSchema.TryParse(schemaText ?? WardenSchemaText, out schema, out var schemaError))
        {
            errors.Add($"{(schemaFiles.Count == 1 ? schemaFiles[0] : "warden.cedarschema")}:{schemaError}");
        }

        var policies = new List<CedarPolicy>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files.Keys.Where(f => f.EndsWith(".cedar", StringComparison.Ordinal)))
        {
            if (!PolicySet.TryParse(files[file], out var set, out var error))
            {
                errors.Add($"{file}:{error}");
                continue;
            }

            for (var i = 0; i < set.Policies.Count; i++)
            {
                var p = set.Policies[i];
                var id = p.Annotations.TryGetValue("id", out var named) && named.Length > 0 ? named : $"{file}#{i}";
                if (!ids.Add(id))
                {
                    errors.Add($"{file}: policy id '{id}' is used twice.");
                }

                policies.Add(new CedarPolicy(id, p.Effect, p.Principal, p.Action, p.Resource, p.Conditions, p.Annotations, p.TemplateId));
            }
        }

        if (policies.Count == 0 && errors.Count == 0)
        {
            errors.Add("The bundle has no policies (*.cedar files): everything would be denied.");
        }

        if (errors.Count > 0)
        {
            throw new PolicyBundleException(errors);
        }

        var hash = ComputeHash(files);
        return new PolicyBundle(files, schema!, new PolicySet(policies), hash);
    }

    /// <summary>Strict validation of every policy against the schema.</summary>
    public ValidationResult Validate() => Validator.Validate(Policies, Schema);

    /// <summary>Runs the bundle's own tests against the whole bundle (see <see cref="BundleTestRunner"/>).</summary>
    public BundleTestReport RunTests() => BundleTestRunner.Run(this);

    /// <summary>Validation errors and failed tests as one list of lines; empty when the bundle may be activated.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = Validate().Errors.Select(e => $"validation: {e}").ToList();
        problems.AddRange(RunTests().Failures.Select(f => $"test: {f}"));
        return problems;
    }

    private static bool IsBundleFile(string relative) =>
        relative.EndsWith(".cedar", StringComparison.Ordinal) || relative.EndsWith(".cedarschema", StringComparison.Ordinal) ||
        (relative.StartsWith("tests/", StringComparison.Ordinal) && relative.EndsWith(".json", StringComparison.Ordinal));

    private static bool IsSafeName(string name) =>
        name.Length is > 0 and < 200 && !name.StartsWith('/') && !name.Contains('\\', StringComparison.Ordinal) &&
        !name.Split('/').Any(p => p is "" or "." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_') && IsBundleFile(name);

    private static string ComputeHash(SortedDictionary<string, string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, content) in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData([0]);
            sha.AppendData(Encoding.UTF8.GetBytes(content));
            sha.AppendData([0]);
        }

        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static SortedDictionary<string, string> ReadDefaults()
    {
        var assembly = typeof(PolicyBundle).Assembly;
        const string Prefix = "Warden.Server.Policy.Defaults.";
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var name = resource[Prefix.Length..];
            // Embedded names use dots for folders: "tests.defaults.json" is tests/defaults.json.
            name = name.StartsWith("tests.", StringComparison.Ordinal) ? "tests/" + name["tests.".Length..] : name;
            files[name] = reader.ReadToEnd();
        }

        return files;
    }
}
