using System.Security.Cryptography;

namespace Warden.Data.Security;

/// <summary>
/// Finds the 32-byte master key: <c>WARDEN_MASTER_KEY</c> (base64) when set, otherwise a key file
/// <c>master.key</c> in the data folder, created with mode 0600 on first start.
/// </summary>
public static class MasterKey
{
    /// <summary>The environment variable that carries the key in production.</summary>
    public const string EnvironmentVariable = "WARDEN_MASTER_KEY";

    /// <summary>The key file's name inside the data folder.</summary>
    public const string FileName = "master.key";

    /// <summary>Loads or creates the key. Returns null with a reason when neither source is usable.</summary>
    public static byte[] Load(string? environmentValue, string? dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(environmentValue.Trim());
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{EnvironmentVariable} is not valid base64.");
            }

            return key.Length == 32 ? key : throw new InvalidOperationException($"{EnvironmentVariable} must decode to 32 bytes, not {key.Length}.");
        }

        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            throw new InvalidOperationException($"No master key: set {EnvironmentVariable} or give a data folder for the key file.");
        }

        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                throw new InvalidOperationException($"The master key file {path} is readable by other users; run chmod 600 on it.");
            }

            var text = File.ReadAllText(path).Trim();
            var key = Convert.FromBase64String(text);
            return key.Length == 32 ? key : throw new InvalidOperationException($"The master key file {path} does not hold a 32-byte key.");
        }

        CreatePrivateDirectory(dataDirectory);
        var fresh = RandomNumberGenerator.GetBytes(32);
        // Created with 0600 from the start so there is no moment where the key is readable by others.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(fresh));
        }

        return fresh;
    }

    /// <summary>Creates a folder readable only by its owner (0700): the data folder holds the database and keys.</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
