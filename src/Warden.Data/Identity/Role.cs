namespace Warden.Data.Identity;

/// <summary>An org member's role. Order matters: a lower value holds every right of the higher ones.</summary>
public enum Role
{
    /// <summary>Everything, including granting ownership and deleting the org.</summary>
    Owner = 0,

    /// <summary>Manages teams, users and memberships (but not owners).</summary>
    Admin = 1,

    /// <summary>Uses the platform: runs sessions, manages own tokens, reads teams and users.</summary>
    Member = 2,

    /// <summary>Reads everything, including the audit trail; changes nothing.</summary>
    Auditor = 3,

    /// <summary>Reads teams and users; changes nothing.</summary>
    Viewer = 4,
}
