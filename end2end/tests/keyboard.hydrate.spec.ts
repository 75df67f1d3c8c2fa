/**
 * A whole chained flow (two-step code → CAPTCHA → approval in the app) with the keyboard alone: Tab, typing
 * and Enter; focus lands on each new step's heading and is always visible.
 */
import {
  test,
  expect,
  gotoReady,
  holdWaits,
  ui,
  GOOD_PASSWORD,
  GOOD_CODE,
  type Page,
  type Locator,
} from "./fixtures/flow";

/** Presses Tab until `target` has focus (at most `max` times); fails if it never does. */
async function tabTo(page: Page, target: Locator, max = 25): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target, "never reached with Tab").toBeFocused();
}

/** The focused element shows a visible outline. */
async function expectVisibleFocus(page: Page): Promise<void> {
  const outline = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return "none";
    const style = getComputedStyle(el);
    return `${style.outlineStyle} ${style.outlineWidth}`;
  });
  expect(outline).not.toMatch(/^none|\b0px$/);
}

/** Signs in to LinkedIn as `username` with the keyboard alone. */
async function signInByKeyboard(page: Page, username: string): Promise<void> {
  await gotoReady(page, "/connect/linkedin");
  await tabTo(page, page.getByLabel("Email or phone", { exact: true }));
  await page.keyboard.type(username);
  await tabTo(page, ui.passwordInput(page));
  await page.keyboard.type(GOOD_PASSWORD);
  await page.keyboard.press("Enter");
}

test("user_chain from start to finish without a mouse", async ({ page }) => {
  await gotoReady(page, "/connect/linkedin");
  const username = page.getByLabel("Email or phone", { exact: true });
  await tabTo(page, username);
  await expectVisibleFocus(page);
  await page.keyboard.type("user_chain");
  await tabTo(page, ui.passwordInput(page));
  await page.keyboard.type(GOOD_PASSWORD);
  await page.keyboard.press("Enter");

  await expect(ui.h1(page, "Enter your verification code")).toBeFocused();
  await tabTo(page, ui.codeInput(page));
  await page.keyboard.type(GOOD_CODE);
  await page.keyboard.press("Enter");

  await expect(ui.h1(page, "Complete the security check")).toBeFocused();
  const verify = page
    .getByRole("group", { name: "Sandbox security check", exact: true })
    .getByRole("button", { name: "Verify", exact: true });
  await expect(verify).toBeVisible();
  await tabTo(page, verify);
  await expectVisibleFocus(page);
  await page.keyboard.press("Enter");

  await expect(ui.h1(page, "Approve the sign-in in the app")).toBeFocused();
  await expect(ui.h1(page, /is connected/)).toBeFocused({ timeout: 20_000 });
});

test("a consent without a mouse: sent empty, told to tick one, ticked with Space", async ({ page }) => {
  await signInByKeyboard(page, "user_consent");
  await expect(ui.h1(page, "Choose the products to activate")).toBeFocused();
  const proceed = page.getByRole("button", { name: "Continue", exact: true });
  await tabTo(page, proceed);
  await page.keyboard.press("Enter");
  await expect(ui.alert(page, "No product was chosen.")).toBeVisible();
  const salesNavigator = page.getByRole("checkbox", { name: "Sales Navigator", exact: true });
  await tabTo(page, salesNavigator);
  await expectVisibleFocus(page);
  await page.keyboard.press("Space");
  await expect(salesNavigator).toBeChecked();
  await tabTo(page, proceed);
  await page.keyboard.press("Enter");
  await expect(ui.h1(page, /is connected/)).toBeFocused();
});

test("a pairing code without a mouse: copied with Enter, then the page moves on by itself", async ({ page, context }) => {
  const release = await holdWaits(page);
  await signInByKeyboard(page, "user_pairing");
  await expect(ui.h1(page, "Enter the pairing code in the app")).toBeFocused();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(page.url()).origin });
  const copy = page.getByRole("button", { name: "Copy code", exact: true });
  await tabTo(page, copy);
  await expectVisibleFocus(page);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "The code is copied" })).toBeVisible();
  release();
  await expect(ui.h1(page, /is connected/)).toBeFocused();
});
