using Dapper;
using Microsoft.Playwright;
using Warden.Client.Contracts;

namespace Warden.IntegrationTests;

/// <summary>The org's audit retention page in Chromium: set the period, place and release a hold, run retention.</summary>
public sealed class AuditRetentionPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToContainTextOptions Wait = new() { Timeout = 15_000 };

    [Fact]
    public async Task Admin_SetsThePeriod_HoldsAndReleases_AndRunsRetentionFromThePage()
    {
        await using var server = await TestServer.StartAsync("sqlite", o => o with { AuditRetentionInterval = TimeSpan.Zero });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("old-team"));
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await page.GotoAsync("o/default/audit");
        await page.GetByTestId("audit-retention-link").ClickAsync();
        await page.WaitForURLAsync("**/o/default/audit/retention");
        await Assertions.Expect(page.GetByTestId("retention-period")).ToContainTextAsync("forever", Wait);

        // Bad input is refused with the store's message; a good period is saved and shown.
        await page.GetByTestId("retention-days").FillAsync("0");
        await page.GetByTestId("retention-save").ClickAsync();
        await Assertions.Expect(page.Locator(".banner.error")).ToContainTextAsync("between 1 and 36500 days", Wait);
        await page.GetByTestId("retention-days").FillAsync("30");
        await page.GetByTestId("retention-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("retention-period")).ToContainTextAsync("30 days", Wait);
        (await admin.GetAuditRetentionAsync("default")).Days.ShouldBe(30);

        // A hold placed from the page stops a run from erasing anything of the org.
        await page.GetByTestId("hold-reason").FillAsync("Matter 2026-17");
        await page.GetByTestId("hold-place").ClickAsync();
        await Assertions.Expect(page.GetByTestId("holds")).ToContainTextAsync("Matter 2026-17", Wait);
        await Assertions.Expect(page.GetByTestId("retention-held")).ToBeVisibleAsync();
        // A month later (the web session has long expired: sign in again).
        server.Time.Advance(TimeSpan.FromDays(31));
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await page.GotoAsync("o/default/audit/retention");
        await page.GetByTestId("retention-dry-run").UncheckAsync();
        await page.GetByTestId("retention-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("Erased 0 events", Wait);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-audit-retention.png"), FullPage = true });

        // Released, a dry run reports what would go and leaves it; a real run erases it.
        await page.GetByTestId("hold-release").ClickAsync();
        await Assertions.Expect(page.GetByTestId("holds")).ToContainTextAsync("released by admin", Wait);
        await page.GetByTestId("retention-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("Dry run:", Wait);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "team.create" })).Events.ShouldHaveSingleItem();
        await page.GetByTestId("retention-dry-run").UncheckAsync();
        await page.GetByTestId("retention-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("Erased", Wait);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "team.create" })).Events.ShouldBeEmpty();
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }
}
