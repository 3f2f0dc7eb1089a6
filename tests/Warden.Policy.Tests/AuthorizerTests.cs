using Warden.Policy.Entities;
using Warden.Policy.Values;
using static Warden.Policy.Tests.TestHelpers;

namespace Warden.Policy.Tests;

public sealed class AuthorizerTests
{
    private static readonly EntityStore Store = LoadEntities("""
        [
          {"uid": {"type": "User", "id": "alice"}, "attrs": {"level": 5}, "parents": [{"type": "Group", "id": "admins"}]},
          {"uid": {"type": "Group", "id": "admins"}, "attrs": {}, "parents": []},
          {"uid": {"type": "Photo", "id": "p1"}, "attrs": {"private": true}, "parents": [{"type": "Album", "id": "a1"}]},
          {"uid": {"type": "Action", "id": "view"}, "attrs": {}, "parents": [{"type": "Action", "id": "read"}]}
        ]
        """);

    private static AuthorizationResponse Authorize(string policies, EntityUid? principal = null) =>
        Authorizer.IsAuthorized(new AuthorizationRequest(principal ?? Alice, View, Photo, RecordValue.Empty), PolicySet.Parse(policies), Store);

    [Fact]
    public void NoPolicies_DeniesByDefault()
    {
        var r = Authorize(string.Empty);
        r.Decision.ShouldBe(Decision.Deny);
        r.Reasons.ShouldBeEmpty();
        r.Errors.ShouldBeEmpty();
    }

    [Fact]
    public void SatisfiedPermit_AllowsWithItsIdAsReason()
    {
        var r = Authorize("permit(principal in Group::\"admins\", action in Action::\"read\", resource in Album::\"a1\");");
        r.Decision.ShouldBe(Decision.Allow);
        r.Reasons.ShouldBe(["policy0"]);
    }

    [Fact]
    public void Forbid_WinsOverPermit()
    {
        var r = Authorize("""
            permit(principal, action, resource);
            forbid(principal, action, resource) when { resource.private };
            permit(principal == User::"alice", action, resource);
            """);
        r.Decision.ShouldBe(Decision.Deny);
        r.Reasons.ShouldBe(["policy1"]);
    }

    [Fact]
    public void ErroringPolicy_IsSkippedAndReported()
    {
        var r = Authorize("""
            forbid(principal, action, resource) when { principal.missing };
            permit(principal, action, resource) when { principal.level > 3 };
            """);
        r.Decision.ShouldBe(Decision.Allow);
        r.Reasons.ShouldBe(["policy1"]);
        r.Errors.Select(e => e.PolicyId).ShouldBe(["policy0"]);
    }

    [Fact]
    public void UnlessClause_NegatesAndScopesFilter()
    {
        Authorize("permit(principal, action, resource) unless { resource.private };").Decision.ShouldBe(Decision.Deny);
        Authorize("permit(principal is Group, action, resource);").Decision.ShouldBe(Decision.Deny);
        Authorize("permit(principal, action in [Action::\"write\", Action::\"read\"], resource);").Decision.ShouldBe(Decision.Allow);
        Authorize("permit(principal, action == Action::\"read\", resource);").Decision.ShouldBe(Decision.Deny);
    }

    [Fact]
    public void NonBooleanCondition_IsAnError()
    {
        var r = Authorize("permit(principal, action, resource) when { 1 };");
        r.Decision.ShouldBe(Decision.Deny);
        r.Errors.Single().PolicyId.ShouldBe("policy0");
    }

    [Fact]
    public void LinkedTemplate_IsEvaluated()
    {
        var set = PolicySet.Parse("permit(principal == ?principal, action, resource);").Link("policy0", "alice-link", Alice, null);
        var r = Authorizer.IsAuthorized(new AuthorizationRequest(Alice, View, Photo, RecordValue.Empty), set, Store);
        r.Decision.ShouldBe(Decision.Allow);
        r.Reasons.ShouldBe(["alice-link"]);
    }

    [Fact]
    public void DecideAndAuthorize_AgreeWithIsAuthorized()
    {
        string[] sets =
        [
            "permit(principal, action, resource);",
            "permit(principal, action, resource); forbid(principal, action, resource) when { resource.private };",
            "forbid(principal, action, resource) when { principal.missing }; permit(principal, action in Action::\"read\", resource);",
            "permit(principal, action == Action::\"edit\", resource);",
        ];
        var reusable = new AuthorizationResult();
        foreach (var text in sets)
        {
            var set = PolicySet.Parse(text);
            var request = new AuthorizationRequest(Alice, View, Photo, RecordValue.Empty);
            var full = Authorizer.IsAuthorized(request, set, Store);
            Authorizer.Decide(request, set, Store).ShouldBe(full.Decision, text);
            Authorizer.Authorize(request, set, Store, reusable);
            reusable.Decision.ShouldBe(full.Decision, text);
            reusable.Reasons.Order().ShouldBe(full.Reasons.Order(), text);
            reusable.Errors.Select(e => e.PolicyId).ShouldBe(full.Errors.Select(e => e.PolicyId), text);
            reusable.ToResponse().Reasons.Count.ShouldBe(full.Reasons.Count);
        }
    }

    [Fact]
    public void CachedCandidates_FollowTheActionHierarchyOfEachEntityStore()
    {
        var set = PolicySet.Parse("permit(principal, action in Action::\"read\", resource);");
        var request = new AuthorizationRequest(Alice, View, Photo, RecordValue.Empty);
        Authorizer.IsAuthorized(request, set, Store).Decision.ShouldBe(Decision.Allow);

        // Same policy set and action, but a store in which `view` is not in `read`.
        var flat = LoadEntities("""[{"uid": {"type": "Action", "id": "view"}, "attrs": {}, "parents": []}]""");
        Authorizer.IsAuthorized(request, set, flat).Decision.ShouldBe(Decision.Deny);
        Authorizer.Decide(request, set, Store).ShouldBe(Decision.Allow);
    }
}
