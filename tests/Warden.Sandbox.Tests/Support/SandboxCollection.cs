namespace Warden.Sandbox.Tests.Support;

/// <summary>Tests that share the runtime.</summary>
[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}
