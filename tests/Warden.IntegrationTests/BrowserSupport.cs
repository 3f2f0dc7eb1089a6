using Microsoft.Playwright;

namespace Warden.IntegrationTests;

/// <summary>Debian's Chromium for the UI tests, and signing in the way a person does.</summary>
internal static class BrowserSupport
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

    private static readonly LocatorAssertionsToContainTextOptions TextWait = new() { Timeout = 15_000 };

    /// <summary>
    /// Waits (with retries, up to 15 s) until <paramref name="locator"/> contains <paramref name="text"/>: after a form
    /// posts, the page it leaves can still be read for a moment, so text on the new page is awaited, not read once.
    /// </summary>
    public static Task ExpectTextAsync(ILocator locator, string text) => Assertions.Expect(locator).ToContainTextAsync(text, TextWait);

    /// <summary>Starts headless Chromium from <c>/usr/bin/chromium</c> (tests never download browsers).</summary>
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });

    /// <summary>Signs in through the page's "API token" form, as the first administrator does.</summary>
    public static async Task SignInWithTokenAsync(IPage page, string token)
    {
        await page.GotoAsync("login");
        await page.Locator("details.alt summary").ClickAsync();
        await page.GetByTestId("login-token").FillAsync(token);
        await page.GetByTestId("login-token-submit").ClickAsync();
        await SignedInAsync(page);
    }

    /// <summary>Signs in with a user name and password.</summary>
    public static async Task SignInWithPasswordAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("login");
        await page.GetByTestId("login-user").FillAsync(user);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await SignedInAsync(page);
    }

    /// <summary>
    /// Waits for the org's start page after signing in: its address, then the signed-in header on it. Waiting for the
    /// address's "load" event instead timed out once in a full run (30 s, after Chromium had reported the network
    /// idle), so the page's own content is what is waited for.
    /// </summary>
    private static async Task SignedInAsync(IPage page)
    {
        await page.WaitForURLAsync("**/o/default", new() { WaitUntil = WaitUntilState.Commit });
        await page.GetByTestId("signed-in-as").WaitForAsync();
    }
}
