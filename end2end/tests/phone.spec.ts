import {
  test,
  expect,
  signIn,
  enterPhone,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  ui,
  HEADINGS,
  GOOD_CODE,
} from "./fixtures/flow";

test("user_phone registers a phone number, then confirms the SMS code", async ({ page }) => {
  await signIn(page, "linkedin", "user_phone");

  await expect(ui.h1(page, HEADINGS.phone)).toBeVisible();
  await expect(ui.countryCodeInput(page)).toBeVisible();
  await expect(ui.phoneNumberInput(page)).toBeVisible();
  await enterPhone(page, "+33", "612345678");

  await expectCodeCheckpoint(page, "text message (SMS)");
  await enterCode(page, GOOD_CODE);
  await expectConnected(page, "linkedin", "user_phone");
});
