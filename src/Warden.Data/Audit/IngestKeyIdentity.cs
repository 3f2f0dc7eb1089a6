namespace Warden.Data.Audit;

/// <summary>Who sent an ingestion request: the key and the org it writes to.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="KeyName">The key's name.</param>
/// <param name="OrgId">The org's id, where the events go.</param>
/// <param name="OrgName">The org's name.</param>
/// <param name="Vendor">The key's default vendor.</param>
public sealed record IngestKeyIdentity(string KeyId, string KeyName, string OrgId, string OrgName, string Vendor);
