/**
 * Phone registration: the number is typed as it is dialled in its country and sent in the contract's
 * international form. The sandbox refuses a number that keeps its trunk prefix (`(+44)07700900123`), so reaching
 * the SMS code proves the `0` was dropped.
 */
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

test("user_phone registers a UK mobile typed with its leading 0, then confirms the SMS code", async ({ page }) => {
  await signIn(page, "linkedin", "user_phone");

  await expect(ui.h1(page, HEADINGS.phone)).toBeVisible();
  await expect(ui.countryCodeInput(page)).toHaveAttribute("autocomplete", "tel-country-code");
  await expect(ui.phoneNumberInput(page)).toHaveAttribute("autocomplete", "tel-national");
  await expect(page.getByRole("main")).toContainText("the number as you dial it in that country");
  await enterPhone(page, "+44", "07700 900123");

  await expectCodeCheckpoint(page, "text message (SMS)");
  await enterCode(page, GOOD_CODE);
  await expectConnected(page, "linkedin", "user_phone");
});

test("a number that cannot exist for the country code is refused, kept, and can be corrected", async ({ page }) => {
  await signIn(page, "linkedin", "user_phone");
  await expect(ui.h1(page, HEADINGS.phone)).toBeVisible();

  // A UK mobile under France's code.
  await enterPhone(page, "+33", "07700 900123");
  const alert = ui.alert(page, "That phone number is not valid for the country code you entered.");
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("write the number as you dial it in that country");
  await expect(ui.h1(page, HEADINGS.phone)).toBeVisible();
  await expect(ui.countryCodeInput(page)).toHaveValue("+33");
  await expect(ui.phoneNumberInput(page)).toHaveValue("07700 900123");
  await expect(ui.countryCodeInput(page)).toHaveAttribute("aria-invalid", "true");
  await expect(ui.phoneNumberInput(page)).toHaveAttribute("aria-invalid", "true");

  await ui.countryCodeInput(page).fill("+44");
  await ui.sendCodeButton(page).click();
  await expectCodeCheckpoint(page, "text message (SMS)");
});
