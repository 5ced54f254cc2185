import { defineConfig } from '@playwright/test';

// Browser tests run against Debian's Chromium (/usr/bin/chromium): Playwright's own
// browser download is not available here (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
// Each spec starts its own server (see tests/support/server.ts), so there is no
// webServer entry and no baseURL.
export default defineConfig({
  testDir: 'tests',
  // CHAT_E2E_GREP picks tests by title where the command line cannot be changed
  // (cargo leptos end-to-end runs a fixed command).
  grep: process.env.CHAT_E2E_GREP ? new RegExp(process.env.CHAT_E2E_GREP) : undefined,
  globalSetup: './tests/support/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    locale: 'en-US',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
