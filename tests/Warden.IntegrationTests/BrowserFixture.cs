using Microsoft.Playwright;

namespace Warden.IntegrationTests;

/// <summary>One Chromium for a test class; each test opens its own context, so cookies never cross tests.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>A fresh browser context (its own cookies) with one page whose relative addresses resolve against <paramref name="server"/>.</summary>
    public async Task<IPage> NewPageAsync(TestServer server)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        return await context.NewPageAsync();
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await BrowserSupport.LaunchAsync(_playwright);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
