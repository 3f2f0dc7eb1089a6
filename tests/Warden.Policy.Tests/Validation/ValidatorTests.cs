using Warden.Policy.Schemas;
using Warden.Policy.Validation;
using Warden.Policy.Values;

namespace Warden.Policy.Tests.Validation;

public sealed class ValidatorTests
{
    private static readonly CedarSchema Schema = CedarSchema.Parse("""
        entity Group;
        entity User in [Group] = { name: String, age?: Long, tags: Set<String> } tags Long;
        entity Doc = { owner: User, public: Bool, created: datetime };
        action view appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr, token?: String } };
        action admin;
        """);

    private static ValidationResult Validate(string policy) => Validator.Validate(PolicySet.Parse(policy), Schema);

    [Theory]
    [InlineData("permit(principal, action, resource);")]
    [InlineData("permit(principal, action == Action::\"view\", resource) when { resource.owner == principal };")]
    [InlineData("permit(principal, action, resource) when { principal has age && principal.age > 18 };")]
    [InlineData("permit(principal, action, resource) when { context has token && context.token like \"a*\" };")]
    [InlineData("permit(principal, action, resource) when { principal.tags.contains(\"x\") };")]
    [InlineData("permit(principal, action, resource) when { context.ip.isInRange(ip(\"10.0.0.0/8\")) };")]
    [InlineData("permit(principal, action, resource) when { principal.hasTag(\"k\") && principal.getTag(\"k\") > 1 };")]
    [InlineData("permit(principal in Group::\"g\", action, resource) when { resource.created < datetime(\"2025-01-01\") };")]
    [InlineData("permit(principal, action, resource) when { if resource.public then true else principal.name == \"x\" };")]
    [InlineData("permit(principal, action, resource) when { action is Action && !(principal is Action) };")]
    public void WellTypedPolicies_Validate(string policy)
    {
        var r = Validate(policy);
        r.Errors.ShouldBeEmpty(string.Join("; ", r.Errors));
    }

    [Theory]
    [InlineData("permit(principal, action, resource) when { principal.age > 18 };", "attrNotFound")]
    [InlineData("permit(principal, action, resource) when { principal.nope };", "attrNotFound")]
    [InlineData("permit(principal, action, resource) when { principal.name == 1 };", "lubErr")]
    [InlineData("permit(principal, action, resource) when { principal.name };", "unexpectedType")]
    [InlineData("permit(principal, action, resource) when { principal.tags.contains(1) };", "lubErr")]
    [InlineData("permit(principal, action, resource) when { [].isEmpty() };", "emptySetErr")]
    [InlineData("permit(principal, action, resource) when { [1, \"a\"].isEmpty() };", "incompatibleSetTypes")]
    [InlineData("permit(principal == Nope::\"x\", action, resource);", "unknownEntity")]
    [InlineData("permit(principal, action == Action::\"nope\", resource);", "unknownEntity")]
    [InlineData("permit(principal, action, resource) when { principal.getTag(\"k\") > 1 };", "tagNotFound")]
    [InlineData("permit(principal, action, resource) when { ip(context.token) == ip(\"1.2.3.4\") };", "attrNotFound")]
    [InlineData("permit(principal, action, resource) when { decimal(\"x\") == decimal(\"1.0\") };", "extensionErr")]
    [InlineData("permit(principal, action == Action::\"admin\", resource);", "invalidActionApplication")]
    [InlineData("permit(principal is Doc, action, resource);", "invalidActionApplication")]
    [InlineData("permit(principal, action, resource) when { 1 + \"a\" == 2 };", "unexpectedType")]
    public void IllTypedPolicies_AreRejected(string policy, string kind)
    {
        var r = Validate(policy);
        r.IsValid.ShouldBeFalse();
        r.Errors.Select(e => e.Kind).ShouldContain(kind);
    }

    [Fact]
    public void ShortCircuitedBranches_AreNotTypechecked()
    {
        Validate("permit(principal, action, resource) when { false && principal.nope };").Errors.ShouldBeEmpty();
        Validate("permit(principal, action, resource) when { true || principal.nope };").Errors.ShouldBeEmpty();
    }

    [Fact]
    public void Templates_AreTypecheckedWithTheirSlots()
    {
        Validate("permit(principal == ?principal, action, resource in ?resource) when { principal.name == \"a\" };").Errors.ShouldBeEmpty();
        Validate("permit(principal == ?principal, action, resource) when { principal.nope };").IsValid.ShouldBeFalse();
    }

    [Fact]
    public void AlwaysFalsePolicy_IsOnlyAWarning()
    {
        var r = Validate("permit(principal, action, resource) when { false };");
        r.IsValid.ShouldBeTrue();
        r.Warnings.Single().Kind.ShouldBe("impossiblePolicy");
    }

    [Fact]
    public void RequestValidation_ChecksTypesAndContext()
    {
        var ctx = new RecordValue(new Dictionary<string, Value>(StringComparer.Ordinal) { ["ip"] = IpOf("1.2.3.4") });
        var ok = new AuthorizationRequest(new EntityUid("User", "a"), new EntityUid("Action", "view"), new EntityUid("Doc", "d"), ctx);
        RequestValidator.Validate(ok, Schema).ShouldBeEmpty();
        RequestValidator.Validate(ok with { Principal = new EntityUid("Doc", "x") }, Schema).ShouldNotBeEmpty();
        RequestValidator.Validate(ok with { Context = RecordValue.Empty }, Schema).ShouldNotBeEmpty();
        RequestValidator.Validate(ok with { Action = new EntityUid("Action", "nope") }, Schema).ShouldNotBeEmpty();
    }

    private static IpAddrValue IpOf(string s)
    {
        IpAddrValue.TryParse(s, out var ip).ShouldBeTrue();
        return ip!;
    }
}
