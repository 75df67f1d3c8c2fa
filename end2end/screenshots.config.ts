import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

/** Regenerates the README screenshots (scripts/screenshots): not part of the test suite. */
export default defineConfig({
  ...base,
  testDir: "./screenshots",
  globalSetup: undefined,
  workers: 1,
  projects: [{ name: "screenshots", use: { javaScriptEnabled: true } }],
});
