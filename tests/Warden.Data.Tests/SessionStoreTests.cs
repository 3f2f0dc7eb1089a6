using Dapper;
using AuditEventDraft = Warden.Audit.AuditEventDraft;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Sessions;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>
/// Agent sessions on both engines: input rules, who may see and change what (hidden is "not found"), listing and paging,
/// the transcript, progress, runner leases, cancellation, approvals, the inbox and audit.
/// </summary>
public sealed class SessionStoreTests
{
    private const string Repo = "acme/api";

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Create_StoresAQueuedSessionWithDefaults_AuditsIt_AndRaisesChanged(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var changed = new List<string>();
        env.Store.Changed += changed.Add;

        var created = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "  Fix the flaky test  ", Route: " fast "));
        var custom = await env.Store.CreateAsync(env.Ada, "acme", new SessionSpec(Repo, "develop", "Bump deps", Pool: "gpu", Limits: new SessionLimitSet(7, 1_250_000, 90_000)));

        created.Id.ShouldStartWith("ses_");
        created.OrgId.ShouldBe(env.AcmeId);
        created.OrgName.ShouldBe("acme");
        created.UserId.ShouldBe(env.Mia.UserId);
        created.UserName.ShouldBe("mia");
        created.Repo.ShouldBe(Repo);
        created.BaseRef.ShouldBe("main");
        created.Instruction.ShouldBe("Fix the flaky test", "the instruction is trimmed");
        created.Route.ShouldBe("fast");
        created.Pool.ShouldBe("default");
        created.Limits.ShouldBe(SessionLimitSet.Default);
        created.State.ShouldBe(SessionStates.Queued);
        created.StateReason.ShouldBeNull();
        created.Steps.ShouldBe(0);
        created.CostMicros.ShouldBe(0);
        created.CreatedAt.ShouldBe(env.Time.GetUtcNow());
        created.UpdatedAt.ShouldBe(env.Time.GetUtcNow());
        created.StartedAt.ShouldBeNull();
        created.EndedAt.ShouldBeNull();
        created.ParentId.ShouldBeNull();
        created.RetryOf.ShouldBeNull();
        (await env.Store.GetAsync(env.Mia, "acme", created.Id)).ShouldBe(created);
        custom.Route.ShouldBe("default");
        custom.Pool.ShouldBe("gpu");
        (await env.Store.LoadAsync(custom.Id))!.Limits.ShouldBe(new SessionLimitSet(7, 1_250_000, 90_000));
        changed.ShouldBe([created.Id, custom.Id]);

        var draft = env.Audit.Drafts.Single(d => d.Resource!.Id == created.Id);
        draft.Action.ShouldBe("task.create");
        draft.OrgId.ShouldBe(env.AcmeId);
        draft.Actor.Id.ShouldBe(env.Mia.UserId);
        draft.Resource!.Type.ShouldBe("session");
        Detail(draft, "repo").ShouldBe(Repo);
        Detail(draft, "base").ShouldBe("main");
        Detail(draft, "maxSteps").ShouldBe("50");
        Detail(draft, "maxCostUsd").ShouldBe("5");
        Detail(env.Audit.Drafts.Single(d => d.Resource!.Id == custom.Id), "maxCostUsd").ShouldBe("1.25");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Create_RejectsBadInstructionRepoBaseAndLimits_WithMessagesNamingTheRule(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        const long Week = 7L * 24 * 3600 * 1000;

        async Task<string> Fails(SessionSpec spec)
        {
            var e = await Should.ThrowAsync<WardenException>(env.Store.CreateAsync(env.Mia, "acme", spec));
            e.Kind.ShouldBe(WardenErrorKind.Validation);
            return e.Message;
        }

        SessionSpec WithLimits(int steps, long cost, long wall) => new(Repo, "main", "Do it", Limits: new SessionLimitSet(steps, cost, wall));

        (await Fails(new SessionSpec(Repo, "main", ""))).ShouldContain("instruction is empty");
        (await Fails(new SessionSpec(Repo, "main", " \n\t "))).ShouldContain("instruction is empty");
        (await Fails(new SessionSpec(Repo, "main", new string('x', AgentSessionStore.MaxInstructionChars + 1)))).ShouldContain("longer than 32000 characters");
        (await Fails(new SessionSpec("", "main", "Do it"))).ShouldContain("A repository and a base branch are required");
        (await Fails(new SessionSpec("   ", "main", "Do it"))).ShouldContain("A repository and a base branch are required");
        (await Fails(new SessionSpec(Repo, null, "Do it"))).ShouldContain("A repository and a base branch are required");
        (await Fails(new SessionSpec(Repo, " ", "Do it"))).ShouldContain("A repository and a base branch are required");
        (await Fails(WithLimits(0, 1, 10_000))).ShouldContain("maxSteps must be between 1 and 1000");
        (await Fails(WithLimits(1001, 1, 10_000))).ShouldContain("maxSteps must be between 1 and 1000");
        (await Fails(WithLimits(1, 0, 10_000))).ShouldContain("maxCostUsd");
        (await Fails(WithLimits(1, -5, 10_000))).ShouldContain("maxCostUsd");
        (await Fails(WithLimits(1, 10_000_000_001, 10_000))).ShouldContain("at most 10,000");
        var tooShort = await Fails(WithLimits(1, 1, 9_999));
        tooShort.ShouldContain("maxMinutes");
        tooShort.ShouldContain("10 seconds");
        (await Fails(WithLimits(1, 1, Week + 1))).ShouldContain("7 days");
        env.Audit.Drafts.ShouldBeEmpty();
        (await env.Store.ListAsync(env.Ada, "acme", new SessionFilter())).ShouldBeEmpty("nothing invalid was stored");

        // The edges themselves are accepted.
        var longest = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "  " + new string('x', AgentSessionStore.MaxInstructionChars) + "  "));
        longest.Instruction.Length.ShouldBe(AgentSessionStore.MaxInstructionChars);
        (await env.Store.CreateAsync(env.Mia, "acme", WithLimits(1, 1, 10_000))).Limits.ShouldBe(new SessionLimitSet(1, 1, 10_000));
        (await env.Store.CreateAsync(env.Mia, "acme", WithLimits(1000, 10_000_000_000, Week))).Limits.ShouldBe(new SessionLimitSet(1000, 10_000_000_000, Week));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Create_IsForOwnersAdminsAndMembers_AndParentOrRetryMustBeASessionTheActorSees(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var spec = new SessionSpec(Repo, "main", "Do it");

        (await Should.ThrowAsync<WardenException>(env.Store.CreateAsync(env.Aud, "acme", spec))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(env.Store.CreateAsync(env.Vic, "acme", spec))).Message.ShouldContain("(viewer) may not start agent sessions");
        (await Should.ThrowAsync<WardenException>(env.Store.CreateAsync(env.Eve, "acme", spec))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(env.Store.CreateAsync(env.Mia, "other", spec))).Kind.ShouldBe(WardenErrorKind.NotFound);
        var byOwner = await env.Store.CreateAsync(env.Olga, "acme", spec);
        var byAdmin = await env.Store.CreateAsync(env.Ada, "acme", spec);
        var mine = await env.Store.CreateAsync(env.Mia, "acme", spec);
        var maxs = await env.Store.CreateAsync(env.Max, "acme", spec);
        var theirs = await env.Store.CreateAsync(env.Eve, "other", spec);

        var child = await env.Store.CreateAsync(env.Mia, "acme", spec with { ParentId = mine.Id });
        child.ParentId.ShouldBe(mine.Id);
        (await env.Store.CreateAsync(env.Mia, "acme", spec with { RetryOf = mine.Id })).RetryOf.ShouldBe(mine.Id);
        (await env.Store.CreateAsync(env.Ada, "acme", spec with { ParentId = maxs.Id })).ParentId.ShouldBe(maxs.Id, "admins see every session of the org");

        async Task NotFound(Actor actor, SessionSpec s, string missing)
        {
            var e = await Should.ThrowAsync<WardenException>(env.Store.CreateAsync(actor, "acme", s));
            e.Kind.ShouldBe(WardenErrorKind.NotFound);
            e.Message.ShouldBe($"Session '{missing}' was not found.");
        }

        await NotFound(env.Mia, spec with { ParentId = "ses_missing" }, "ses_missing");
        await NotFound(env.Mia, spec with { ParentId = theirs.Id }, theirs.Id);
        await NotFound(env.Mia, spec with { ParentId = maxs.Id }, maxs.Id);
        await NotFound(env.Mia, spec with { RetryOf = "ses_missing" }, "ses_missing");
        await NotFound(env.Mia, spec with { RetryOf = theirs.Id }, theirs.Id);
        await NotFound(env.Mia, spec with { RetryOf = maxs.Id }, maxs.Id);
        (await env.Store.ListAsync(env.Max, "acme", new SessionFilter(ParentId: maxs.Id))).ShouldBeEmpty("no one else's session was attached to max's");
        (await env.Store.ListAsync(env.Olga, "acme", new SessionFilter())).Count.ShouldBe(7);
        byOwner.UserName.ShouldBe("olga");
        byAdmin.UserName.ShouldBe("ada");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Reads_OfAnotherMembersOrAnotherOrgsSession_AreNotFound_LikeASessionThatDoesNotExist(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Do it"));
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Task, """{"instruction":"Do it"}""");
        var approval = await env.Store.RequestApprovalAsync(session, "call_1", "shell.exec", "cmd", "make", ["p"]);
        var missing = "ses_0000000000000000000000000000000f";

        async Task Hidden(Func<string, Task> call)
        {
            var hidden = await Should.ThrowAsync<WardenException>(call(session.Id));
            var absent = await Should.ThrowAsync<WardenException>(call(missing));
            hidden.Kind.ShouldBe(WardenErrorKind.NotFound);
            absent.Kind.ShouldBe(WardenErrorKind.NotFound);
            hidden.Message.ShouldBe(absent.Message.Replace(missing, session.Id, StringComparison.Ordinal));
        }

        foreach (var outsider in new[] { env.Max, env.Vic })
        {
            await Hidden(id => env.Store.GetAsync(outsider, "acme", id));
            await Hidden(id => env.Store.EventsAsync(outsider, "acme", id));
            await Hidden(id => env.Store.ApprovalsAsync(outsider, "acme", id));
            await Hidden(id => env.Store.SendAsync(outsider, "acme", id, "hi"));
            await Hidden(id => env.Store.CancelAsync(outsider, "acme", id, null));
            await Hidden(id => env.Store.DecideAsync(outsider, "acme", id, approval.Id, true, null));
        }

        // A session of acme asked for through another org is not found there either, even for a site administrator.
        await Hidden(id => env.Store.GetAsync(env.Eve, "other", id));
        await Hidden(id => env.Store.GetAsync(env.Admin, "other", id));
        await Hidden(id => env.Store.CancelAsync(env.Admin, "other", id, null));
        (await Should.ThrowAsync<WardenException>(env.Store.GetAsync(env.Eve, "acme", session.Id))).Message.ShouldBe("Org 'acme' was not found.");
        (await Should.ThrowAsync<WardenException>(env.Store.PendingApprovalsAsync(env.Eve, "acme"))).Kind.ShouldBe(WardenErrorKind.NotFound);

        // Everyone who sees every session of the org reads it; only owners and admins change it.
        foreach (var reader in new[] { env.Mia, env.Aud, env.Ada, env.Olga, env.Admin })
        {
            (await env.Store.GetAsync(reader, "acme", session.Id)).Id.ShouldBe(session.Id);
            (await env.Store.EventsAsync(reader, "acme", session.Id)).ShouldHaveSingleItem().Kind.ShouldBe(SessionEventKinds.Task);
            (await env.Store.ApprovalsAsync(reader, "acme", session.Id)).ShouldHaveSingleItem().Id.ShouldBe(approval.Id);
        }

        (await Should.ThrowAsync<WardenException>(env.Store.SendAsync(env.Aud, "acme", session.Id, "hi"))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(env.Store.CancelAsync(env.Aud, "acme", session.Id, null))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await env.Store.LoadAsync(session.Id))!.State.ShouldBe(SessionStates.Queued);
        env.Audit.Drafts.Select(d => d.Action).ShouldBe(["task.create"], "nothing refused was recorded as done");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_FiltersByStateRepoUserAndParent_NewestFirst_AndMembersSeeOnlyTheirOwn(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        async Task<AgentSession> Create(Actor actor, string repo, string? parent = null)
        {
            env.Time.Advance(TimeSpan.FromSeconds(1));
            return await env.Store.CreateAsync(actor, "acme", new SessionSpec(repo, "main", "Do it", ParentId: parent));
        }

        var api = await Create(env.Mia, Repo);
        var web = await Create(env.Mia, "acme/web");
        var maxApi = await Create(env.Max, Repo);
        var child = await Create(env.Max, Repo, maxApi.Id);
        await env.Store.CreateAsync(env.Eve, "other", new SessionSpec(Repo, "main", "Elsewhere"));
        (await env.Store.UpdateAsync(web.Id, new SessionProgress { State = SessionStates.Running })).ShouldBeTrue();
        (await env.Store.UpdateAsync(maxApi.Id, new SessionProgress { State = SessionStates.Failed, StateReason = "boom" })).ShouldBeTrue();

        async Task<string[]> Ids(Actor actor, SessionFilter filter) => (await env.Store.ListAsync(actor, "acme", filter)).Select(s => s.Id).ToArray();

        (await Ids(env.Ada, new SessionFilter())).ShouldBe([child.Id, maxApi.Id, web.Id, api.Id]);
        (await Ids(env.Aud, new SessionFilter())).ShouldBe([child.Id, maxApi.Id, web.Id, api.Id]);
        (await Ids(env.Admin, new SessionFilter())).ShouldBe([child.Id, maxApi.Id, web.Id, api.Id], "the other org's session is not listed");
        (await Ids(env.Mia, new SessionFilter())).ShouldBe([web.Id, api.Id]);
        (await Ids(env.Max, new SessionFilter())).ShouldBe([child.Id, maxApi.Id]);
        (await Ids(env.Vic, new SessionFilter())).ShouldBeEmpty();
        (await Ids(env.Ada, new SessionFilter(State: SessionStates.Running))).ShouldBe([web.Id]);
        (await Ids(env.Ada, new SessionFilter(State: SessionStates.Queued))).ShouldBe([child.Id, api.Id]);
        (await Ids(env.Ada, new SessionFilter(State: SessionStates.Failed))).ShouldBe([maxApi.Id]);
        (await Ids(env.Ada, new SessionFilter(State: SessionStates.Succeeded))).ShouldBeEmpty();
        (await Ids(env.Ada, new SessionFilter(Repo: Repo))).ShouldBe([child.Id, maxApi.Id, api.Id]);
        (await Ids(env.Ada, new SessionFilter(Repo: "acme/web"))).ShouldBe([web.Id]);
        (await Ids(env.Ada, new SessionFilter(User: "max"))).ShouldBe([child.Id, maxApi.Id]);
        (await Ids(env.Mia, new SessionFilter(User: "max"))).ShouldBeEmpty("a member's filter does not widen what they see");
        (await Ids(env.Ada, new SessionFilter(ParentId: maxApi.Id))).ShouldBe([child.Id]);
        (await Ids(env.Mia, new SessionFilter(ParentId: maxApi.Id))).ShouldBeEmpty();
        (await Ids(env.Ada, new SessionFilter(State: SessionStates.Queued, Repo: Repo, User: "mia"))).ShouldBe([api.Id]);
        (await Ids(env.Ada, new SessionFilter(Limit: 2))).ShouldBe([child.Id, maxApi.Id]);
        (await Ids(env.Ada, new SessionFilter(Limit: 1, Before: maxApi.Id))).ShouldBe([web.Id]);
        (await Ids(env.Ada, new SessionFilter(Before: api.Id))).ShouldBeEmpty();
        (await Should.ThrowAsync<WardenException>(env.Store.ListAsync(env.Eve, "acme", new SessionFilter()))).Kind.ShouldBe(WardenErrorKind.NotFound);

        var listed = (await env.Store.ListAsync(env.Ada, "acme", new SessionFilter(State: SessionStates.Failed))).ShouldHaveSingleItem();
        listed.StateReason.ShouldBe("boom");
        listed.EndedAt.ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_PagesWithTheBeforeCursor_WithoutLosingOrRepeatingSessionsThatShareATimestamp(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        for (var i = 0; i < 4; i++)
        {
            await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", $"Same instant {i}"));
        }

        for (var i = 0; i < 5; i++)
        {
            env.Time.Advance(TimeSpan.FromMilliseconds(1));
            await env.Store.CreateAsync(i % 2 == 0 ? env.Mia : env.Max, "acme", new SessionSpec(Repo, "main", $"Later {i}"));
        }

        var all = await env.Store.ListAsync(env.Ada, "acme", new SessionFilter(Limit: 500));
        all.Count.ShouldBe(9);
        all.Select(s => s.CreatedAt).ShouldBeInOrder(SortDirection.Descending);

        async Task<List<string>> Walk(Actor actor, int pageSize)
        {
            var seen = new List<string>();
            string? before = null;
            while (true)
            {
                var page = await env.Store.ListAsync(actor, "acme", new SessionFilter(Limit: pageSize, Before: before));
                page.Count.ShouldBeLessThanOrEqualTo(pageSize);
                if (page.Count == 0)
                {
                    return seen;
                }

                seen.AddRange(page.Select(s => s.Id));
                before = page[^1].Id;
            }
        }

        (await Walk(env.Ada, 2)).ShouldBe(all.Select(s => s.Id).ToList());
        (await Walk(env.Ada, 3)).ShouldBe(all.Select(s => s.Id).ToList());
        (await Walk(env.Mia, 2)).ShouldBe(all.Where(s => s.UserName == "mia").Select(s => s.Id).ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task List_RejectsUnknownStatesLimitsAndCursors_AndAHiddenSessionIsAnUnknownCursor(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var mine = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Mine"));
        env.Time.Advance(TimeSpan.FromSeconds(1));
        var maxs = await env.Store.CreateAsync(env.Max, "acme", new SessionSpec(Repo, "main", "Max's"));
        var theirs = await env.Store.CreateAsync(env.Eve, "other", new SessionSpec(Repo, "main", "Theirs"));

        async Task<WardenException> Fails(Actor actor, SessionFilter filter) => await Should.ThrowAsync<WardenException>(env.Store.ListAsync(actor, "acme", filter));

        var state = await Fails(env.Ada, new SessionFilter(State: "done"));
        state.Kind.ShouldBe(WardenErrorKind.Validation);
        state.Message.ShouldBe("Unknown state 'done'. States: queued, running, waiting, succeeded, failed, cancelled.");
        (await Fails(env.Ada, new SessionFilter(Limit: 0))).Message.ShouldBe("limit must be between 1 and 500.");
        (await Fails(env.Ada, new SessionFilter(Limit: 501))).Message.ShouldBe("limit must be between 1 and 500.");
        (await env.Store.ListAsync(env.Ada, "acme", new SessionFilter(Limit: 500))).Count.ShouldBe(2);
        (await env.Store.ListAsync(env.Ada, "acme", new SessionFilter(Limit: 1))).ShouldHaveSingleItem().Id.ShouldBe(maxs.Id);

        var unknown = await Fails(env.Ada, new SessionFilter(Before: "ses_missing"));
        unknown.Kind.ShouldBe(WardenErrorKind.Validation);
        unknown.Message.ShouldBe("Unknown session 'ses_missing' in before.");
        (await Fails(env.Ada, new SessionFilter(Before: theirs.Id))).Message.ShouldBe($"Unknown session '{theirs.Id}' in before.");

        // A member may not learn that another member's session exists by paging from it.
        (await Fails(env.Mia, new SessionFilter(Before: maxs.Id))).Message.ShouldBe($"Unknown session '{maxs.Id}' in before.");
        (await env.Store.ListAsync(env.Ada, "acme", new SessionFilter(Before: maxs.Id))).ShouldHaveSingleItem().Id.ShouldBe(mine.Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Events_AppendWithIncreasingSeqPerSession_AndPageAfterASeq(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var one = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "One"));
        var two = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Two"));
        var changed = new List<string>();
        env.Store.Changed += changed.Add;

        var seqs = new List<long>();
        for (var i = 1; i <= 5; i++)
        {
            seqs.Add(await env.Store.AppendAsync(one.Id, i == 1 ? SessionEventKinds.Task : SessionEventKinds.Assistant, $$"""{"n":{{i}},"text":"ünïcode ✓"}"""));
            env.Time.Advance(TimeSpan.FromMilliseconds(10));
        }

        (await env.Store.AppendAsync(two.Id, SessionEventKinds.Task, "{}")).ShouldBe(1, "each session's transcript starts at 1");
        seqs.ShouldBe([1, 2, 3, 4, 5]);
        changed.ShouldBe([one.Id, one.Id, one.Id, one.Id, one.Id, two.Id]);

        var all = await env.Store.EventsAsync(env.Mia, "acme", one.Id);
        all.Select(e => e.Seq).ShouldBe([1, 2, 3, 4, 5]);
        all[0].Kind.ShouldBe(SessionEventKinds.Task);
        all[2].Data.ShouldBe("""{"n":3,"text":"ünïcode ✓"}""");
        all[2].At.ShouldBe(env.Time.GetUtcNow().AddMilliseconds(-30));
        (await env.Store.EventsAsync(env.Mia, "acme", one.Id, afterSeq: 2, limit: 2)).Select(e => e.Seq).ShouldBe([3, 4]);
        (await env.Store.EventsAsync(env.Mia, "acme", one.Id, afterSeq: 4, limit: 2)).Select(e => e.Seq).ShouldBe([5]);
        (await env.Store.EventsAsync(env.Mia, "acme", one.Id, afterSeq: 5)).ShouldBeEmpty();
        (await env.Store.EventsAsync(env.Mia, "acme", one.Id, afterSeq: 0, limit: 0)).Select(e => e.Seq).ShouldBe([1], "a limit below 1 reads one");
        (await env.Store.AllEventsAsync(one.Id)).ShouldBe(all);
        (await env.Store.AllEventsAsync(two.Id)).ShouldHaveSingleItem().Seq.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Progress_AddsUpStepsCostAndTokens_SetsStartAndEndOnce_AndStopsAtAFinalState(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Do it"));
        var started = env.Time.GetUtcNow().AddSeconds(1);

        env.Time.Advance(TimeSpan.FromSeconds(1));
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Status, "{}", new SessionProgress { State = SessionStates.Running, WorkerName = "w1", KeyId = "vk_1" });
        env.Time.Advance(TimeSpan.FromSeconds(1));
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Assistant, "{}",
            new SessionProgress { AddSteps = 1, AddCostMicros = 1_500, AddInputTokens = 1_000, AddOutputTokens = 200 });
        env.Time.Advance(TimeSpan.FromSeconds(1));
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Approval, "{}", new SessionProgress { State = SessionStates.Waiting, StateReason = "waiting for approval of make" });
        (await env.Store.LoadAsync(session.Id))!.StateReason.ShouldBe("waiting for approval of make");
        env.Time.Advance(TimeSpan.FromSeconds(1));
        (await env.Store.UpdateAsync(session.Id, new SessionProgress
        {
            State = SessionStates.Running, AddSteps = 2, AddCostMicros = 2_500, AddInputTokens = 3_000, AddOutputTokens = 800, BaseCommit = "abc123",
        })).ShouldBeTrue();

        var running = (await env.Store.LoadAsync(session.Id))!;
        running.State.ShouldBe(SessionStates.Running);
        running.StateReason.ShouldBeNull("a new state without a reason clears the old reason");
        running.StartedAt.ShouldBe(started, "going back to running keeps the first start");
        running.UpdatedAt.ShouldBe(env.Time.GetUtcNow());
        running.EndedAt.ShouldBeNull();
        running.Steps.ShouldBe(3);
        running.CostMicros.ShouldBe(4_000);
        running.InputTokens.ShouldBe(4_000);
        running.OutputTokens.ShouldBe(1_000);
        running.WorkerName.ShouldBe("w1", "a field left null is kept");
        running.KeyId.ShouldBe("vk_1");
        running.BaseCommit.ShouldBe("abc123");

        env.Time.Advance(TimeSpan.FromSeconds(1));
        var ended = env.Time.GetUtcNow();
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Finish, "{}", new SessionProgress
        {
            State = SessionStates.Succeeded, StateReason = "done", AddSteps = 1, Branch = "warden/x", CommitSha = "def456", PrUrl = "https://git.example/pr/1", Summary = "Fixed it",
        });

        // Nothing changes a session that ended, but what the runner still writes to the transcript is kept.
        env.Time.Advance(TimeSpan.FromSeconds(1));
        (await env.Store.UpdateAsync(session.Id, new SessionProgress { State = SessionStates.Failed, AddSteps = 10, AddCostMicros = 99, Summary = "overwritten" })).ShouldBeFalse();
        (await env.Store.AppendAsync(session.Id, SessionEventKinds.Status, """{"late":true}""", new SessionProgress { AddSteps = 1, State = SessionStates.Running })).ShouldBe(5);

        var final = (await env.Store.LoadAsync(session.Id))!;
        final.State.ShouldBe(SessionStates.Succeeded);
        final.StateReason.ShouldBe("done");
        final.Steps.ShouldBe(4);
        final.CostMicros.ShouldBe(4_000);
        final.StartedAt.ShouldBe(started);
        final.EndedAt.ShouldBe(ended);
        final.UpdatedAt.ShouldBe(ended);
        final.Branch.ShouldBe("warden/x");
        final.CommitSha.ShouldBe("def456");
        final.PrUrl.ShouldBe("https://git.example/pr/1");
        final.Summary.ShouldBe("Fixed it");
        (await env.Store.AllEventsAsync(session.Id)).Select(e => e.Kind).ShouldBe(
            [SessionEventKinds.Status, SessionEventKinds.Assistant, SessionEventKinds.Approval, SessionEventKinds.Finish, SessionEventKinds.Status]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Claim_LeasesASessionToOneRunner_UntilItsLeaseLapsesOrIsReleased_AndNeverTakesAnEndedOne(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var lease = TimeSpan.FromSeconds(30);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", $"Task {i}"))).Id);
            env.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var succeeded = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Done"));
        var failed = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Broke"));
        var cancelled = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Stopped"));
        await env.Store.UpdateAsync(succeeded.Id, new SessionProgress { State = SessionStates.Succeeded });
        await env.Store.UpdateAsync(failed.Id, new SessionProgress { State = SessionStates.Failed });
        await env.Store.CancelAsync(env.Mia, "acme", cancelled.Id, null);

        async Task<string[]> Claim(string runner, int max) => (await env.Store.ClaimAsync(runner, env.Time.GetUtcNow() + lease, max)).Select(s => s.Id).ToArray();

        (await Claim("a", 2)).ShouldBe([ids[0], ids[1]], "oldest first, at most max");
        (await Claim("b", 10)).ShouldBe([ids[2]], "what runner a holds is not taken, nor an ended session");
        (await Claim("b", 10)).ShouldBeEmpty();
        (await Claim("a", 10)).ShouldBeEmpty("a runner does not claim its own lease again");
        await env.Store.UpdateAsync(ids[0], new SessionProgress { State = SessionStates.Running });
        await env.Store.UpdateAsync(ids[1], new SessionProgress { State = SessionStates.Waiting });

        // Runner a renews ids[0]; b renews its own ids[2] and, uselessly, a's ids[0]. Only ids[1]'s lease lapses, and b takes it
        // over in the state it was left in.
        env.Time.Advance(TimeSpan.FromSeconds(20));
        await env.Store.RenewAsync("a", [ids[0]], env.Time.GetUtcNow() + lease);
        await env.Store.RenewAsync("b", [ids[0], ids[2]], env.Time.GetUtcNow() + TimeSpan.FromHours(1));
        env.Time.Advance(TimeSpan.FromSeconds(10));
        (await Claim("b", 10)).ShouldBeEmpty("at the very instant a lease ends it is still held");
        env.Time.Advance(TimeSpan.FromMilliseconds(1));
        var taken = (await env.Store.ClaimAsync("b", env.Time.GetUtcNow() + lease, 10)).ShouldHaveSingleItem();
        taken.Id.ShouldBe(ids[1]);
        taken.State.ShouldBe(SessionStates.Waiting);
        (await Claim("c", 10)).ShouldBeEmpty();

        // a's renewal ran 30 seconds from its renewal; b's renewal of a's session did not extend it.
        env.Time.Advance(TimeSpan.FromSeconds(20));
        (await Claim("c", 10)).ShouldBe([ids[0]]);

        // A release by someone else does nothing; the holder's own release frees the session at once.
        await env.Store.ReleaseAsync("d", ids[0]);
        (await Claim("e", 10)).ShouldBeEmpty();
        await env.Store.ReleaseAsync("c", ids[0]);
        (await Claim("e", 10)).ShouldBe([ids[0]]);

        // Once every lease has lapsed, only the sessions still going are claimed again; one that ended gave up its lease.
        await env.Store.UpdateAsync(ids[2], new SessionProgress { State = SessionStates.Failed, StateReason = "limit" });
        env.Time.Advance(TimeSpan.FromHours(2));
        (await Claim("f", 10)).ShouldBe([ids[0], ids[1]]);
        await using var c = await env.Db.Connections.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM agent_sessions WHERE id = @id AND runner IS NULL AND runner_until IS NULL", new { id = ids[2] })).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Claim_ByTwoRunnersAtOnce_GivesEachSessionToExactlyOne(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        for (var i = 0; i < 30; i++)
        {
            await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", $"Task {i}"));
        }

        var until = env.Time.GetUtcNow().AddMinutes(1);
        var claims = await Task.WhenAll(
            Task.Run(() => env.Store.ClaimAsync("a", until, 30)),
            Task.Run(() => env.Store.ClaimAsync("b", until, 30)),
            Task.Run(() => env.Store.ClaimAsync("c", until, 30)));

        var all = claims.SelectMany(c => c.Select(s => s.Id)).ToList();
        all.Count.ShouldBe(30);
        all.ShouldBeUnique();
        await using var connection = await env.Db.Connections.OpenAsync();
        var holders = (await connection.QueryAsync<(string Id, string Runner)>("SELECT id, runner FROM agent_sessions")).ToDictionary(r => r.Id, r => r.Runner);
        string[] runners = ["a", "b", "c"];
        for (var i = 0; i < 3; i++)
        {
            claims[i].ShouldAllBe(s => holders[s.Id] == runners[i]);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Cancel_EndsTheSessionWithWhoAndWhy_RejectsItsPendingApprovals_AndWorksOnce(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var waiting = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Waits"));
        await env.Store.UpdateAsync(waiting.Id, new SessionProgress { State = SessionStates.Waiting, StateReason = "waiting for approval of make" });
        var approval = await env.Store.RequestApprovalAsync(waiting, "call_1", "shell.exec", "cmd", "make", []);
        var queued = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Queued"));
        var done = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Done"));
        await env.Store.UpdateAsync(done.Id, new SessionProgress { State = SessionStates.Succeeded });
        var changed = new List<string>();
        env.Store.Changed += changed.Add;

        env.Time.Advance(TimeSpan.FromMinutes(1));
        var cancelled = await env.Store.CancelAsync(env.Mia, "acme", waiting.Id, "  wrong repo  ");
        cancelled.State.ShouldBe(SessionStates.Cancelled);
        cancelled.StateReason.ShouldBe("cancelled by mia: wrong repo");
        cancelled.EndedAt.ShouldBe(env.Time.GetUtcNow());
        var rejected = (await env.Store.ApprovalsAsync(env.Mia, "acme", waiting.Id)).ShouldHaveSingleItem();
        rejected.Id.ShouldBe(approval.Id);
        rejected.State.ShouldBe("rejected");
        rejected.DecidedBy.ShouldBe("mia");
        rejected.Comment.ShouldBe("session cancelled");
        (await env.Store.PendingApprovalsAsync(env.Ada, "acme")).ShouldBeEmpty();
        (await env.Store.UpdateAsync(waiting.Id, new SessionProgress { State = SessionStates.Running, AddSteps = 1 })).ShouldBeFalse("a cancellation wins over a step");

        var twice = await Should.ThrowAsync<WardenException>(env.Store.CancelAsync(env.Ada, "acme", waiting.Id, null));
        twice.Kind.ShouldBe(WardenErrorKind.Conflict);
        twice.Message.ShouldContain("has already ended (cancelled)");
        var finished = await Should.ThrowAsync<WardenException>(env.Store.CancelAsync(env.Mia, "acme", done.Id, null));
        finished.Kind.ShouldBe(WardenErrorKind.Conflict);
        finished.Message.ShouldContain("has already ended (succeeded)");
        (await env.Store.LoadAsync(done.Id))!.State.ShouldBe(SessionStates.Succeeded);
        (await Should.ThrowAsync<WardenException>(env.Store.CancelAsync(env.Aud, "acme", queued.Id, null))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(env.Store.CancelAsync(env.Max, "acme", queued.Id, null))).Kind.ShouldBe(WardenErrorKind.NotFound);

        var byAdmin = await env.Store.CancelAsync(env.Ada, "acme", queued.Id, " ");
        byAdmin.StateReason.ShouldBe("cancelled by ada");
        byAdmin.StartedAt.ShouldBeNull();
        (await env.Store.ClaimAsync("r", env.Time.GetUtcNow().AddMinutes(1), 10)).ShouldBeEmpty("cancelled sessions are never run");
        changed.Distinct().ShouldBe([waiting.Id, queued.Id]);

        var cancels = env.Audit.Drafts.Where(d => d.Action == "session.cancel").ToList();
        cancels.Select(d => (d.Resource!.Id, d.Actor.Id)).ShouldBe([(waiting.Id, env.Mia.UserId), (queued.Id, env.Ada.UserId)]);
        Detail(cancels[0], "reason")!.Trim().ShouldBe("wrong repo");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Cancel_OfASessionThatEndsWhileItIsBeingCancelled_IsAConflict_AndNothingIsCancelled(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var clock = new HookedTime(env.Time);
        var store = new AgentSessionStore(env.Db.Connections, clock, env.Audit);
        var session = await store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Almost done"));
        await store.UpdateAsync(session.Id, new SessionProgress { State = SessionStates.Waiting });
        await store.RequestApprovalAsync(session, "call_1", "shell.exec", "cmd", "make", []);

        // CancelAsync reads the clock once, after it has read the session and before it updates it: the runner ends the
        // session right then, on a connection of its own.
        clock.Next = () =>
        {
            using var runner = env.Db.Target.Dialect == SqlDialect.Postgres
                ? (System.Data.Common.DbConnection)new Npgsql.NpgsqlConnection(env.Db.Target.ConnectionString)
                : new Microsoft.Data.Sqlite.SqliteConnection(env.Db.Target.ConnectionString);
            runner.Open();
            runner.Execute("UPDATE agent_sessions SET state = 'succeeded', ended_at = 1 WHERE id = @id", new { id = session.Id });
        };
        var lost = await Should.ThrowAsync<WardenException>(store.CancelAsync(env.Mia, "acme", session.Id, "stop"));

        clock.Next.ShouldBeNull("the hook ran");
        lost.Kind.ShouldBe(WardenErrorKind.Conflict);
        (await store.LoadAsync(session.Id))!.State.ShouldBe(SessionStates.Succeeded);
        (await store.ApprovalForCallAsync(session.Id, "call_1"))!.State.ShouldBe("pending", "the approval was not rejected by a cancel that did not happen");
        env.Audit.Drafts.ShouldNotContain(d => d.Action == "session.cancel");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Approvals_AreRequestedOncePerCall_AndDecidedOnce_ByOwnersAndAdminsOnly(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Mia's"));
        var other = await env.Store.CreateAsync(env.Max, "acme", new SessionSpec(Repo, "main", "Max's"));
        var first = await env.Store.RequestApprovalAsync(session, "call_1", "shell.exec", "cmd:make", "make deploy", ["needs-approval", "prod"]);
        env.Time.Advance(TimeSpan.FromSeconds(1));
        var again = await env.Store.RequestApprovalAsync(session, "call_1", "shell.exec", "cmd:make", "make deploy (again)", ["other"]);
        var second = await env.Store.RequestApprovalAsync(session, "call_2", "git.push", "branch:main", "push to main", ["push"]);
        env.Time.Advance(TimeSpan.FromSeconds(1));
        var others = await env.Store.RequestApprovalAsync(other, "call_1", "shell.exec", "cmd:rm", "rm -rf build", []);

        first.Id.ShouldStartWith("apr_");
        first.SessionId.ShouldBe(session.Id);
        first.State.ShouldBe("pending");
        first.Policies.ShouldBe(["needs-approval", "prod"]);
        first.Summary.ShouldBe("make deploy");
        first.RequestedAt.ShouldBe(env.Time.GetUtcNow().AddSeconds(-2));
        again.Id.ShouldBe(first.Id, "the same call asks once");
        again.Summary.ShouldBe("make deploy");
        others.Id.ShouldNotBe(first.Id, "call ids are per session");
        (await env.Store.ApprovalsAsync(env.Mia, "acme", session.Id)).Select(a => a.Id).ShouldBe([first.Id, second.Id]);

        async Task<string[]> Pending(Actor actor, string org = "acme") => (await env.Store.PendingApprovalsAsync(actor, org)).Select(a => a.Id).ToArray();
        (await Pending(env.Ada)).ShouldBe([first.Id, second.Id, others.Id]);
        (await Pending(env.Olga)).ShouldBe([first.Id, second.Id, others.Id]);
        (await Pending(env.Aud)).ShouldBe([first.Id, second.Id, others.Id]);
        (await Pending(env.Mia)).ShouldBe([first.Id, second.Id]);
        (await Pending(env.Max)).ShouldBe([others.Id]);
        (await Pending(env.Vic)).ShouldBeEmpty();
        (await Pending(env.Eve, "other")).ShouldBeEmpty();

        async Task<WardenException> Fails(Actor actor, string sessionId, string approvalId) =>
            await Should.ThrowAsync<WardenException>(env.Store.DecideAsync(actor, "acme", sessionId, approvalId, true, null));
        var own = await Fails(env.Mia, session.Id, first.Id);
        own.Kind.ShouldBe(WardenErrorKind.Forbidden);
        own.Message.ShouldContain("an owner or admin can");
        (await Fails(env.Aud, session.Id, first.Id)).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Fails(env.Max, session.Id, first.Id)).Kind.ShouldBe(WardenErrorKind.NotFound);
        var elsewhere = await Fails(env.Ada, other.Id, first.Id);
        elsewhere.Kind.ShouldBe(WardenErrorKind.NotFound);
        elsewhere.Message.ShouldBe($"Approval '{first.Id}' was not found.");
        (await Fails(env.Ada, session.Id, "apr_missing")).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(env.Store.DecideAsync(env.Eve, "other", session.Id, first.Id, true, null))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await env.Store.ApprovalForCallAsync(session.Id, "call_1"))!.State.ShouldBe("pending", "no refused decision took effect");

        env.Time.Advance(TimeSpan.FromMinutes(1));
        var approved = await env.Store.DecideAsync(env.Ada, "acme", session.Id, first.Id, true, "ship it");
        approved.State.ShouldBe("approved");
        approved.DecidedBy.ShouldBe("ada");
        approved.DecidedAt.ShouldBe(env.Time.GetUtcNow());
        approved.Comment.ShouldBe("ship it");
        var decidedTwice = await Should.ThrowAsync<WardenException>(env.Store.DecideAsync(env.Olga, "acme", session.Id, first.Id, false, null));
        decidedTwice.Kind.ShouldBe(WardenErrorKind.Conflict);
        decidedTwice.Message.ShouldBe($"Approval '{first.Id}' was already approved by ada.");
        var rejected = await env.Store.DecideAsync(env.Olga, "acme", session.Id, second.Id, false, null);
        rejected.State.ShouldBe("rejected");
        rejected.DecidedBy.ShouldBe("olga");
        (await Should.ThrowAsync<WardenException>(env.Store.DecideAsync(env.Ada, "acme", session.Id, second.Id, true, null))).Message.ShouldContain("already rejected by olga");

        (await env.Store.ApprovalForCallAsync(session.Id, "call_1"))!.State.ShouldBe("approved");
        (await env.Store.ApprovalForCallAsync(session.Id, "call_2"))!.State.ShouldBe("rejected");
        (await env.Store.ApprovalForCallAsync(session.Id, "call_3")).ShouldBeNull();
        (await env.Store.RequestApprovalAsync(session, "call_1", "shell.exec", "cmd:make", "make deploy", [])).State.ShouldBe("approved", "asking again returns the decision");
        (await Pending(env.Ada)).ShouldBe([others.Id]);

        var decisions = env.Audit.Drafts.Where(d => d.Action.StartsWith("approval.", StringComparison.Ordinal)).ToList();
        decisions.Select(d => d.Action).ShouldBe(["approval.approve", "approval.reject"]);
        decisions.ShouldAllBe(d => d.OrgId == env.AcmeId && d.Resource!.Type == "session" && d.Resource.Id == session.Id);
        Detail(decisions[0], "approval").ShouldBe(first.Id);
        Detail(decisions[0], "callId").ShouldBe("call_1");
        Detail(decisions[0], "action").ShouldBe("shell.exec");
        Detail(decisions[0], "resource").ShouldBe("cmd:make");
        Detail(decisions[0], "policies").ShouldBe("needs-approval,prod");
        Detail(decisions[0], "comment").ShouldBe("ship it");
        decisions[1].Actor.Id.ShouldBe(env.Olga.UserId);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Approvals_OfASessionThatEnded_CannotBeDecided_AndAreNoLongerPending(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Waits too long"));
        var live = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Still waiting"));
        await env.Store.UpdateAsync(session.Id, new SessionProgress { State = SessionStates.Waiting });
        var approval = await env.Store.RequestApprovalAsync(session, "call_1", "shell.exec", "cmd", "make", []);
        var stillPending = await env.Store.RequestApprovalAsync(live, "call_1", "shell.exec", "cmd", "make", []);

        // The runner ends a waiting session (its time limit) without anyone deciding.
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Finish, "{}", new SessionProgress { State = SessionStates.Failed, StateReason = "Time limit reached: 30 minutes." });

        var late = await Should.ThrowAsync<WardenException>(env.Store.DecideAsync(env.Ada, "acme", session.Id, approval.Id, true, null));
        late.Kind.ShouldBe(WardenErrorKind.Conflict);
        late.Message.ShouldBe($"Session '{session.Id}' has ended (failed).");
        (await env.Store.PendingApprovalsAsync(env.Ada, "acme")).Select(a => a.Id).ShouldBe([stillPending.Id], "no one is asked to decide what can no longer be decided");
        (await env.Store.PendingApprovalsAsync(env.Mia, "acme")).Select(a => a.Id).ShouldBe([stillPending.Id]);
        env.Audit.Drafts.ShouldNotContain(d => d.Action.StartsWith("approval.", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Inbox_HandsEachMessageOutOnce_InTheOrderSent_AndOnlyForLiveSessions(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Listens"));
        var other = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Also listens"));

        var first = await env.Store.SendAsync(env.Mia, "acme", session.Id, "  use the v2 API  ");
        env.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await env.Store.SendAsync(env.Ada, "acme", session.Id, "and add a test");
        env.Time.Advance(TimeSpan.FromSeconds(1));
        var third = await env.Store.SendAsync(env.Olga, "acme", session.Id, new string('y', 16_000));
        var elsewhere = await env.Store.SendAsync(env.Mia, "acme", other.Id, "elsewhere");

        first.Text.ShouldBe("use the v2 API");
        first.SentBy.ShouldBe("mia");
        first.SentAt.ShouldBe(env.Time.GetUtcNow().AddSeconds(-2));
        second.SentBy.ShouldBe("ada");
        (await env.Store.TakeInboxAsync(session.Id)).ShouldBe([first, second, third]);
        (await env.Store.TakeInboxAsync(session.Id)).ShouldBeEmpty("each message is handed out once");
        var fourth = await env.Store.SendAsync(env.Mia, "acme", session.Id, "one more");
        (await env.Store.TakeInboxAsync(session.Id)).ShouldBe([fourth]);
        (await env.Store.TakeInboxAsync(other.Id)).ShouldBe([elsewhere]);

        async Task<WardenException> Fails(Actor actor, string id, string text) => await Should.ThrowAsync<WardenException>(env.Store.SendAsync(actor, "acme", id, text));
        (await Fails(env.Mia, session.Id, "")).Message.ShouldBe("A message must hold 1 to 16,000 characters.");
        (await Fails(env.Mia, session.Id, " \n ")).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Mia, session.Id, new string('y', 16_001))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Fails(env.Aud, session.Id, "hi")).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Fails(env.Max, session.Id, "hi")).Kind.ShouldBe(WardenErrorKind.NotFound);
        await env.Store.UpdateAsync(other.Id, new SessionProgress { State = SessionStates.Failed });
        var ended = await Fails(env.Mia, other.Id, "too late");
        ended.Kind.ShouldBe(WardenErrorKind.Conflict);
        ended.Message.ShouldContain("has ended (failed)");
        (await env.Store.TakeInboxAsync(session.Id)).ShouldBeEmpty("refused messages were not stored");
        (await env.Store.TakeInboxAsync(other.Id)).ShouldBeEmpty();

        var sent = env.Audit.Drafts.Where(d => d.Action == "session.message").ToList();
        sent.Select(d => Detail(d, "message")).ShouldBe([first.Id, second.Id, third.Id, elsewhere.Id, fourth.Id]);
        Detail(sent[0], "chars").ShouldBe("14");
        sent.Select(d => d.Actor.Id).ShouldBe([env.Mia.UserId, env.Ada.UserId, env.Olga.UserId, env.Mia.UserId, env.Mia.UserId]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Peek_ShowsStateCountersAndWaitingMessages_AsTheRunnerChecksThemBeforeEachStep(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Runs"));

        (await env.Store.PeekAsync(session.Id)).ShouldBe(new SessionPulse(SessionStates.Queued, null, 0, 0, null, false));
        (await env.Store.PeekAsync("ses_missing")).ShouldBeNull();

        await env.Store.AppendAsync(session.Id, SessionEventKinds.Status, "{}", new SessionProgress { State = SessionStates.Running });
        env.Time.Advance(TimeSpan.FromSeconds(5));
        await env.Store.AppendAsync(session.Id, SessionEventKinds.Assistant, "{}", new SessionProgress { AddSteps = 1, AddCostMicros = 250 });
        await env.Store.SendAsync(env.Ada, "acme", session.Id, "also update the docs");
        (await env.Store.PeekAsync(session.Id)).ShouldBe(new SessionPulse(SessionStates.Running, null, 1, 250, env.Time.GetUtcNow().AddSeconds(-5), true));

        await env.Store.TakeInboxAsync(session.Id);
        (await env.Store.PeekAsync(session.Id))!.InboxWaiting.ShouldBeFalse("the message was taken");

        await env.Store.CancelAsync(env.Mia, "acme", session.Id, "wrong branch");
        var cancelled = (await env.Store.PeekAsync(session.Id))!;
        cancelled.State.ShouldBe(SessionStates.Cancelled);
        cancelled.StateReason.ShouldBe("cancelled by mia: wrong branch");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Inbox_TakenByTwoCallersAtOnce_GivesEachMessageToOne(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var session = await env.Store.CreateAsync(env.Mia, "acme", new SessionSpec(Repo, "main", "Listens"));
        var sent = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            sent.Add((await env.Store.SendAsync(env.Mia, "acme", session.Id, $"message {i}")).Id);
        }

        var takes = await Task.WhenAll(Task.Run(() => env.Store.TakeInboxAsync(session.Id)), Task.Run(() => env.Store.TakeInboxAsync(session.Id)));

        var taken = takes.SelectMany(t => t.Select(m => m.Id)).ToList();
        taken.ShouldBeUnique();
        taken.Order(StringComparer.Ordinal).ShouldBe(sent.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task CountByState_CountsTheSessionsOfEveryOrg(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        (await env.Store.CountByStateAsync()).ShouldBeEmpty();
        var spec = new SessionSpec(Repo, "main", "Do it");
        await env.Store.CreateAsync(env.Mia, "acme", spec);
        var running = await env.Store.CreateAsync(env.Mia, "acme", spec);
        var cancelled = await env.Store.CreateAsync(env.Max, "acme", spec);
        var failed = await env.Store.CreateAsync(env.Eve, "other", spec);
        await env.Store.CreateAsync(env.Eve, "other", spec);
        await env.Store.UpdateAsync(running.Id, new SessionProgress { State = SessionStates.Running });
        await env.Store.CancelAsync(env.Max, "acme", cancelled.Id, null);
        await env.Store.UpdateAsync(failed.Id, new SessionProgress { State = SessionStates.Failed });

        var counts = await env.Store.CountByStateAsync();
        counts.Count.ShouldBe(4);
        counts[SessionStates.Queued].ShouldBe(2);
        counts[SessionStates.Running].ShouldBe(1);
        counts[SessionStates.Cancelled].ShouldBe(1);
        counts[SessionStates.Failed].ShouldBe(1);
    }

    private static string? Detail(AuditEventDraft draft, string name) =>
        draft.Details!.Value.TryGetProperty(name, out var value) ? value.GetString() : null;

    /// <summary>A clock that runs <see cref="Next"/> once, the next time it is read, to interleave work with a store call.</summary>
    private sealed class HookedTime(FakeTime inner) : TimeProvider
    {
        public Action? Next { get; set; }

        public override DateTimeOffset GetUtcNow()
        {
            var next = Next;
            Next = null;
            next?.Invoke();
            return inner.GetUtcNow();
        }
    }

    private sealed class Env : IAsyncDisposable
    {
        public required TestDatabase Db { get; init; }
        public required FakeTime Time { get; init; }
        public required RecordingAudit Audit { get; init; }
        public required AgentSessionStore Store { get; init; }
        public required string AcmeId { get; init; }

        /// <summary>The site administrator (acts as owner in every org).</summary>
        public required Actor Admin { get; init; }

        /// <summary>Acme's owner, admin, two members, auditor and viewer.</summary>
        public required Actor Olga { get; init; }
        public required Actor Ada { get; init; }
        public required Actor Mia { get; init; }
        public required Actor Max { get; init; }
        public required Actor Aud { get; init; }
        public required Actor Vic { get; init; }

        /// <summary>The owner of the org "other", not a member of acme.</summary>
        public required Actor Eve { get; init; }

        public static async Task<Env> CreateAsync(string engine)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var time = new FakeTime();
            var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
            var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
            var orgs = new OrgStore(db.Connections, time);
            var acme = await orgs.CreateAsync(admin, "acme", null);
            await orgs.CreateAsync(admin, "other", null);
            var users = new UserStore(db.Connections, time);
            async Task<Actor> User(string org, string name, string role)
            {
                var member = await users.CreateAsync(admin, org, new NewUser(name, Role: role));
                return new Actor(ActorKind.User, member.Id, member.Name, false);
            }

            var audit = new RecordingAudit();
            return new Env
            {
                Db = db, Time = time, Audit = audit, Store = new AgentSessionStore(db.Connections, time, audit), AcmeId = acme.Id, Admin = admin,
                Olga = await User("acme", "olga", "owner"), Ada = await User("acme", "ada", "admin"), Mia = await User("acme", "mia", "member"),
                Max = await User("acme", "max", "member"), Aud = await User("acme", "aud", "auditor"), Vic = await User("acme", "vic", "viewer"),
                Eve = await User("other", "eve", "owner"),
            };
        }

        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }
}
