using Microsoft.Playwright;

namespace Warden.IntegrationTests.Workers;

/// <summary>The workers page in Chromium: it lists pools and workers and shows a worker that connects while it is open.</summary>
public sealed class WorkersPageBrowserTests
{
    [Fact]
    public async Task WorkersPage_ShowsAWorkerThatConnectsWhileItIsOpen_AndItsStateChanges()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var token = await bed.JoinTokenAsync("linux");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = bed.BaseAddress.ToString() });
        await page.GotoAsync("login");
        await page.Locator("details.alt summary").ClickAsync();
        await page.GetByTestId("login-token").FillAsync(bed.AdminToken);
        await page.GetByTestId("login-token-submit").ClickAsync();
        await page.WaitForURLAsync("**/o/default");

        await page.GetByRole(AriaRole.Link, new() { Name = "Workers" }).ClickAsync();
        await page.WaitForURLAsync("**/o/default/workers");
        (await page.GetByTestId("pools").InnerTextAsync()).ShouldContain("linux");
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(token, "live-box"));
        var rows = page.GetByTestId("workers").Locator("tbody tr");
        await Assertions.Expect(rows.Filter(new() { HasText = "live-box" })).ToContainTextAsync("online", new() { Timeout = 30_000 });

        using var client = bed.Client();
        await client.DrainWorkerAsync("default", worker.WorkerId!);
        await Assertions.Expect(rows.Filter(new() { HasText = "live-box" })).ToContainTextAsync("offline", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-workers.png"), FullPage = true });
    }
}
