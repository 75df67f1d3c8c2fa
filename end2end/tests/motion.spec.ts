/**
 * Waiting shows a turning ring, which stands still for users who ask for reduced motion; JavaScript on and
 * off (off: the server-rendered page with the app's script stubbed out, as the computed style is read by a
 * script in the page).
 */
import { test, expect, signIn, ui, withoutAppScripts, type Page } from "./fixtures/flow";

test.use({ javaScriptEnabled: true });
test.beforeEach(async ({ page }, testInfo) => {
  if (testInfo.project.use.javaScriptEnabled === false) await withoutAppScripts(page);
});

async function spinnerAnimation(page: Page): Promise<string> {
  const spinner = page.locator(".waiting .spinner");
  await expect(spinner).toBeVisible();
  return spinner.evaluate((el) => getComputedStyle(el).animationName);
}

test("the waiting ring turns", async ({ page }) => {
  await signIn(page, "linkedin", "user_in_app_timeout");
  await expect(ui.h1(page, "Approve the sign-in in the app")).toBeVisible();
  expect(await spinnerAnimation(page)).toBe("spin");
});

test("with reduced motion the ring stands still", async ({ page }) => {
  await page.emulateMedia({ reducedMotion: "reduce" });
  await signIn(page, "linkedin", "user_in_app_timeout");
  await expect(ui.h1(page, "Approve the sign-in in the app")).toBeVisible();
  expect(await spinnerAnimation(page)).toBe("none");
});
