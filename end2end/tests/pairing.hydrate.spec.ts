/**
 * The pairing code's copy button (JavaScript only): it puts the code on the clipboard and says so, or says
 * to copy it by hand when the browser refuses.
 */
import { test, expect, signIn, ui, holdWaits, expectConnected } from "./fixtures/flow";

const PAIRING = "Enter the pairing code in the app";

test("Copy code puts the code on the clipboard and says so", async ({ page, context }) => {
  const release = await holdWaits(page);
  await signIn(page, "linkedin", "user_pairing");
  await expect(ui.h1(page, PAIRING)).toBeFocused();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(page.url()).origin });
  const code = (await page.getByTestId("pairing-code").textContent())?.trim() ?? "";
  await page.getByRole("button", { name: "Copy code", exact: true }).click();
  await expect(
    page.getByRole("status").filter({ hasText: "The code is copied: paste it in the LinkedIn app." }),
  ).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
  release();
  await expectConnected(page, "linkedin", "user_pairing");
  await expect(ui.h1(page, /is connected/)).toBeFocused();
});

test("a refused copy says to copy the code by hand", async ({ page }) => {
  const release = await holdWaits(page);
  await signIn(page, "linkedin", "user_pairing");
  await expect(ui.h1(page, PAIRING)).toBeVisible();
  await page.evaluate(() => {
    const refused = { writeText: () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError")) };
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: refused });
  });
  await page.getByRole("button", { name: "Copy code", exact: true }).click();
  await expect(
    page
      .getByRole("status")
      .filter({ hasText: "The code could not be copied. Select it and copy it yourself, or type it in the app." }),
  ).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "The code is copied" })).toHaveCount(0);
  release();
  await expectConnected(page, "linkedin", "user_pairing");
});
