namespace Warden.Protocol;

/// <summary>The kinds of <see cref="SessionCredential"/>.</summary>
public static class CredentialKinds
{
    /// <summary>User name and password, answered to Git's prompts by an askpass helper.</summary>
    public const string Basic = "basic";

    /// <summary>A bearer token sent as an <c>Authorization</c> header (<c>http.extraHeader</c> from the environment).</summary>
    public const string Bearer = "bearer";
}
