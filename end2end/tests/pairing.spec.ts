/**
 * The pairing-code screen (Unipile's PAIRING_CODE, sandbox user `user_pairing`, entered in the app 1.5 s
 * after it shows in the test command): the code large and monospaced, what to do with it, then the page
 * continues by itself, with and without JavaScript. Where the screen is looked at, its waits are held.
 */
import { test, expect, signIn, ui, holdWaits, isJsEnabled, expectConnected, reloadReady } from "./fixtures/flow";

const PAIRING = "Enter the pairing code in the app";

test("pairing code: the page continues by itself once the code is entered in the app", async ({ page }) => {
  await signIn(page, "linkedin", "user_pairing");
  await expect(ui.h1(page, PAIRING)).toBeVisible();
  await expectConnected(page, "linkedin", "user_pairing");
});

test("pairing code: shown large with what to do, the same after a reload", async ({ page }) => {
  const release = await holdWaits(page);
  await signIn(page, "linkedin", "user_pairing");
  await expect(ui.h1(page, PAIRING)).toBeVisible();
  const group = page.getByRole("group", { name: "Pairing code", exact: true });
  const shown = group.getByTestId("pairing-code");
  // Grouped as the provider gave it, in the sandbox two groups of four.
  await expect(shown).toHaveText(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
  const code = (await shown.textContent())?.trim() ?? "";
  // Without JavaScript the waiting page reloads itself every few seconds: a style read while the next
  // copy is still loading its stylesheet is the browser's default, so the reading is retried.
  const look = () =>
    shown.locator("code").evaluate((el) => {
      const style = getComputedStyle(el);
      return { family: style.fontFamily, size: parseFloat(style.fontSize) };
    });
  await expect.poll(async () => (await look()).family).toMatch(/monospace/);
  await expect.poll(async () => (await look()).size).toBeGreaterThanOrEqual(28);

  const main = page.getByRole("main");
  await expect(main).toContainText(
    "Open the LinkedIn app on your phone and type this code where it asks for a pairing code.",
  );
  await expect(main).toContainText("The code works until this attempt expires.");
  await expect(main).toContainText(/This attempt expires in \d+:\d\d/);
  await expect(main).toContainText("Waiting for the code to be entered in the app");
  await expect(page.getByRole("button", { name: "Cancel", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Try another way" })).toHaveCount(0);
  // Copying needs JavaScript; without it the code is selected and copied by hand.
  await expect(group.getByRole("button", { name: "Copy code", exact: true })).toHaveCount(isJsEnabled(page) ? 1 : 0);

  await reloadReady(page);
  await expect(shown).toHaveText(code);

  release();
  // Without JavaScript the held self-reload was dropped; a reload starts the next one.
  if (!isJsEnabled(page)) await reloadReady(page);
  await expectConnected(page, "linkedin", "user_pairing");
});

test("pairing code: Cancel goes back to the form, username kept", async ({ page }) => {
  const release = await holdWaits(page);
  await signIn(page, "linkedin", "user_pairing");
  await expect(ui.h1(page, PAIRING)).toBeVisible();
  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(ui.h1(page, "Connect your LinkedIn account")).toBeVisible();
  await expect(ui.usernameInput(page)).toHaveValue("user_pairing");
  release();
});
