/**
 * A code pasted from the clipboard, grouped as messages show it ("123 456"), is accepted.
 */
import { test, expect, signIn, ui, expectConnected, GOOD_CODE } from "./fixtures/flow";

test("a grouped code pasted into the field verifies", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page, "linkedin", "user_2fa_sms");
  const grouped = `${GOOD_CODE.slice(0, 3)} ${GOOD_CODE.slice(3)}`;
  await page.evaluate((text) => navigator.clipboard.writeText(text), grouped);
  await ui.codeInput(page).focus();
  await page.keyboard.press("ControlOrMeta+V");
  await expect(ui.codeInput(page)).toHaveValue(grouped);
  await ui.verifyButton(page).click();
  await expectConnected(page, "linkedin", "user_2fa_sms");
});
