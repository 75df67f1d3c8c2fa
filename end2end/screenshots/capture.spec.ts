/**
 * The README's screenshots: picker, form, a checkpoint and success, light and dark, phone and desktop.
 * Written to docs/screenshots/ by scripts/screenshots.
 */
import { test, expect, type Page } from "@playwright/test";
import path from "node:path";

const out = path.join(__dirname, "..", "..", "docs", "screenshots");

const SIZES = { phone: { width: 375, height: 760 }, desktop: { width: 1280, height: 860 } } as const;
const SCHEMES = ["light", "dark"] as const;

async function ready(page: Page): Promise<void> {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(out, `${name}.png`) });
}

for (const [size, viewport] of Object.entries(SIZES)) {
  for (const scheme of SCHEMES) {
    test(`${size} ${scheme}`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
      const tag = `${size}-${scheme}`;
      await page.goto("/");
      await ready(page);
      await shoot(page, `picker-${tag}`);

      await page.goto("/connect/linkedin");
      await ready(page);
      await shoot(page, `form-${tag}`);

      await page.getByLabel("Email or phone", { exact: true }).fill("user_2fa_sms");
      await page.getByLabel("Password", { exact: true }).fill("pass_good");
      await page.getByRole("button", { name: "Connect", exact: true }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Enter your verification code" })).toBeVisible();
      await shoot(page, `checkpoint-${tag}`);

      await page.getByLabel("Verification code", { exact: true }).fill("123456");
      await page.getByRole("button", { name: "Verify", exact: true }).click();
      await expect(page.getByRole("heading", { level: 1, name: /is connected/ })).toBeVisible();
      await shoot(page, `success-${tag}`);
    });
  }
}
