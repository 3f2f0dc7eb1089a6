using System.Text.Json;
using Warden.Client.Contracts;

namespace Warden.IntegrationTests;

/// <summary><c>warden audit retention|hold</c> against a real server, and <c>warden audit verify</c> of what retention left.</summary>
public sealed class AuditRetentionCliTests : CliTestBase
{
    [Fact]
    public async Task RetentionAndHolds_FromTheCommandLine()
    {
        await using var server = await TestServer.StartAsync("sqlite", o => o with { AuditRetentionInterval = TimeSpan.Zero });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("cli-old-team"));
        (await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);

        var shown = await Run("audit", "retention", "show");
        shown.Code.ShouldBe(0, shown.Err);
        shown.Out.ShouldContain("Retention: forever");
        var bad = await Run("audit", "retention", "set", "soon");
        bad.Code.ShouldNotBe(0);
        bad.Err.ShouldContain("'soon' is not a number of days or 'forever'");
        var zero = await Run("audit", "retention", "set", "0");
        zero.Code.ShouldNotBe(0);
        zero.Err.ShouldContain("between 1 and 36500 days");
        var set = await Run("audit", "retention", "set", "30");
        set.Code.ShouldBe(0, set.Err);
        set.Out.ShouldContain("Retention: 30 days (set by admin");

        var place = await Run("audit", "hold", "place", "--reason", "Matter 2026-17", "--json");
        place.Code.ShouldBe(0, place.Err);
        var hold = JsonSerializer.Deserialize(place.Out, WardenJsonContext.Default.LegalHoldDto)!;
        hold.Active.ShouldBeTrue();
        (await Run("audit", "hold", "list")).Out.ShouldContain("Matter 2026-17");
        (await Run("audit", "retention", "show")).Out.ShouldContain("1 active legal hold");

        server.Time.Advance(TimeSpan.FromDays(31));
        var held = await Run("audit", "retention", "run");
        held.Code.ShouldBe(0, held.Err);
        held.Out.ShouldContain("Nothing past its retention period was erased.");

        var release = await Run("audit", "hold", "release", hold.Id);
        release.Code.ShouldBe(0, release.Err);
        release.Out.ShouldContain($"Released legal hold {hold.Id}");
        (await Run("audit", "hold", "release", "hold_missing")).Err.ShouldContain("was not found");
        var dry = await Run("audit", "retention", "run", "--dry-run");
        dry.Out.ShouldContain("would erase");
        var run = await Run("audit", "retention", "run");
        run.Code.ShouldBe(0, run.Err);
        run.Out.ShouldMatch(@"erased \d+ events of org_\w+ older than 30 days .*recorded as event \d+");

        // The server's ledger, and the database read directly, both still verify, counting the erased events.
        var verify = await Run("audit", "verify");
        verify.Code.ShouldBe(0, verify.Err);
        verify.Out.ShouldContain("erased by retention, each accounted for");
        var offline = await Run("audit", "verify", "--data", server.Db.Folder);
        offline.Code.ShouldBe(0, offline.Err);
        offline.Out.ShouldContain("erased by retention");
    }
}
