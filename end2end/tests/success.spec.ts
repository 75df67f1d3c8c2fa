import { test, expect, signIn, submitCredentials, expectConnected, reloadReady, ui, GOOD_PASSWORD, HEADINGS } from "./fixtures/flow";

test("user_good connects at once and sees the account id", async ({ page }) => {
  await signIn(page, "linkedin", "user_good", GOOD_PASSWORD);

  await expectConnected(page, "linkedin", "user_good");
  await expect(ui.connectAnotherButton(page)).toBeVisible();
});

test("connect another account: an empty form, and the page's address is a fresh visit again", async ({ page }) => {
  await signIn(page, "linkedin", "user_good", GOOD_PASSWORD);
  await expectConnected(page, "linkedin", "user_good");

  await ui.connectAnotherButton(page).click();
  await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
  await expect(ui.usernameInput(page)).toHaveValue("");
  await expect(ui.passwordInput(page)).toHaveValue("");
  await reloadReady(page);
  await expect(ui.usernameInput(page)).toHaveValue("");
  await submitCredentials(page, "user_2fa_sms", GOOD_PASSWORD);
  await expect(ui.codeInput(page)).toBeVisible();
});

test("a reload draws the linked account again: the address names it", async ({ page }) => {
  await signIn(page, "linkedin", "user_good", GOOD_PASSWORD);
  await expectConnected(page, "linkedin", "user_good");
  await expect(page).toHaveURL(/\/connect\/linkedin\?flow=[\w-]+$/);
  await reloadReady(page);
  await expectConnected(page, "linkedin", "user_good");
  // Opened afresh (a host asking for another account), the page starts with the form.
  await page.goto("/connect/linkedin");
  await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
});
