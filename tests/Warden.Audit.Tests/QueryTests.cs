using Warden.Audit.Signing;
using Warden.Audit.Storage;

namespace Warden.Audit.Tests;

public sealed class QueryTests : IAsyncLifetime
{
    private readonly AuditSigningKey _key = AuditSigningKey.Generate();
    private InMemoryAuditLedgerStore _store = null!;

    public async Task InitializeAsync() => _store = await TestData.LedgerAsync(100, new AuditKeyring(_key));

    public Task DisposeAsync()
    {
        _key.Dispose();
        return Task.CompletedTask;
    }

    private async Task<List<AuditEvent>> QueryAsync(AuditQuery query)
    {
        var results = new List<AuditEvent>();
        await foreach (var e in _store.QueryAsync(query))
        {
            results.Add(e);
        }

        return results;
    }

    [Fact]
    public async Task Query_FiltersByActionPrefixAndOutcome()
    {
        var results = await QueryAsync(new AuditQuery { OrgId = "org-1", Action = "model.*", Outcome = AuditOutcome.Success, Limit = 1000 });

        results.ShouldNotBeEmpty();
        results.ShouldAllBe(e => e.Action == "model.invoke" && e.Outcome == AuditOutcome.Success);
        results.Count.ShouldBe(_store.Events.Count(e => e.Action.StartsWith("model.", StringComparison.Ordinal) && e.Outcome == AuditOutcome.Success));
    }

    [Fact]
    public async Task Query_PagesNewestFirstWithASequenceCursor()
    {
        var first = await QueryAsync(new AuditQuery { Descending = true, Limit = 10 });
        var second = await QueryAsync(new AuditQuery { Descending = true, Limit = 10, BeforeSequence = first[^1].Sequence });

        first.Select(e => e.Sequence).ShouldBe(Enumerable.Range(91, 10).Reverse().Select(i => (long)i));
        second.Select(e => e.Sequence).ShouldBe(Enumerable.Range(81, 10).Reverse().Select(i => (long)i));
    }

    [Fact]
    public async Task Query_FiltersByActorResourceAndSession()
    {
        var results = await QueryAsync(new AuditQuery { ActorId = "sess-3", ResourceType = "repository", SessionId = "conv-1", Limit = 1000 });

        results.ShouldAllBe(e => e.Actor.Id == "sess-3" && e.Resource!.Type == "repository" && e.Source.SessionId == "conv-1");
        results.Count.ShouldBe(_store.Events.Count(e => e.Actor.Id == "sess-3" && e.Source.SessionId == "conv-1"));
    }

    [Theory]
    [InlineData("token.*", "token.create", true)]
    [InlineData("token.*", "tokens.create", false)]
    [InlineData("auth.login", "auth.login", true)]
    [InlineData("auth.login", "auth.logout", false)]
    public void Matcher_ActionPatterns(string filter, string action, bool expected)
    {
        var e = _store.Events[0] with { Action = action };

        AuditQueryMatcher.Matches(new AuditQuery { Action = filter }, e).ShouldBe(expected);
    }

    [Theory]
    [InlineData("auth*")]
    [InlineData("*.login")]
    public void Validate_RejectsUnsupportedWildcards(string filter)
    {
        Should.Throw<ArgumentException>(() => AuditQueryMatcher.Validate(new AuditQuery { Action = filter }));
    }
}
