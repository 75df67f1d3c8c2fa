import { defineConfig } from "@playwright/test";

/**
 * Playwright suite for Credentials Flow, run against the app in sandbox mode.
 *
 * - The server is NOT started here: `cargo leptos end-to-end --release` (or a running
 *   `cargo leptos serve`) provides it. `global-setup.ts` checks that the program answering on
 *   the port really is Credentials Flow before any test runs.
 * - The browser is Debian's Chromium (never `npx playwright install`).
 *
 * Environment:
 *   LEPTOS_SITE_ADDR  host:port of the app (default 127.0.0.1:3950; never 3000)
 *   CHROMIUM_PATH     Chromium binary (default /usr/bin/chromium)
 */
const siteAddr = process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3950";
export const baseURL = `http://${siteAddr}`;

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  outputDir: "./test-results",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  // The JSON summary is what `scripts/test` reads to know the specs ran and passed.
  reporter: [["list"], ["json", { outputFile: "playwright-report/summary.json" }]],
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "js",
      use: { javaScriptEnabled: true },
    },
    {
      name: "nojs",
      use: { javaScriptEnabled: false },
      // Specs that need the hydrated (wasm) app: focus management, live announcements…
      testIgnore: /.*\.hydrate\.spec\.ts$/,
    },
  ],
});
