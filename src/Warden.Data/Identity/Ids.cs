namespace Warden.Data.Identity;

/// <summary>Ids are a type prefix and a time-ordered UUID (v7), readable in logs and sortable by creation.</summary>
public static class Ids
{
    /// <summary>A new id such as <c>team_0194f5...</c>.</summary>
    public static string New(string prefix) => $"{prefix}_{Guid.CreateVersion7():N}";
}
