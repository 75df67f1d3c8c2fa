import {
  test,
  expect,
  signIn,
  reloadReady,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  GOOD_CODE,
} from "./fixtures/flow";

test("reloading during a code checkpoint resumes the same checkpoint", async ({ page }) => {
  await signIn(page, "linkedin", "user_2fa_sms");
  await expectCodeCheckpoint(page, "text message (SMS)");
  // The checkpoint lives at the form's address (a GET after any no-JS POST/redirect), so reload is safe.
  await expect(page).toHaveURL(/\/connect\/linkedin(\?.*)?$/);

  await reloadReady(page);
  await expectCodeCheckpoint(page, "text message (SMS)");

  await enterCode(page, GOOD_CODE);
  await expectConnected(page, "linkedin", "user_2fa_sms");
});
