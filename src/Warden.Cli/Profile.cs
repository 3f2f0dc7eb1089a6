using System.Text.Json;
using System.Text.Json.Serialization;

namespace Warden.Cli;

/// <summary>
/// The saved connection (<c>warden login</c>): server, token and default org, in <c>config.json</c> of the user's config
/// folder with mode 0600 because it holds a bearer token. <c>WARDEN_SERVER</c> and <c>WARDEN_TOKEN</c> override it.
/// </summary>
public sealed record Profile(string Server, string Token, string? Org)
{
    /// <summary>The file name inside the config folder.</summary>
    public const string FileName = "config.json";

    /// <summary>Loads the profile with environment overrides, or null when there is none.</summary>
    public static Profile? Load(CliEnvironment env)
    {
        Profile? saved = null;
        var path = Path.Combine(env.ConfigDirectory, FileName);
        if (File.Exists(path))
        {
            try
            {
                saved = JsonSerializer.Deserialize(File.ReadAllText(path), ProfileJson.Default.Profile);
            }
            catch (JsonException)
            {
                throw new CliException($"The profile {path} is not valid JSON; run 'warden login' again.");
            }
        }

        var server = env.Variable("WARDEN_SERVER") is { Length: > 0 } s ? s : saved?.Server;
        var token = env.Variable("WARDEN_TOKEN") is { Length: > 0 } t ? t : saved?.Token;
        return server is null || token is null ? null : new Profile(server, token, env.Variable("WARDEN_ORG") is { Length: > 0 } o ? o : saved?.Org);
    }

    /// <summary>Writes the profile, creating the file with mode 0600 before any secret goes into it.</summary>
    public void Save(CliEnvironment env)
    {
        Directory.CreateDirectory(env.ConfigDirectory);
        var path = Path.Combine(env.ConfigDirectory, FileName);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, ProfileJson.Default.Profile);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Rename is atomic: a crash never leaves a half-written profile.
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>Source-generated JSON for <see cref="Profile"/>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(Profile))]
internal sealed partial class ProfileJson : JsonSerializerContext;
