import {
  test,
  expect,
  signIn,
  reloadReady,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  ui,
  GOOD_CODE,
  GOOD_PASSWORD,
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

test("a refusal survives a reload, what was typed included, and changes nothing by being drawn", async ({ page }) => {
  await signIn(page, "linkedin", "user_good", "pass_wrong");
  const refusal = ui.alert(page, /did not accept this sign-in/);
  await expect(refusal).toBeVisible();
  // The address names the refused attempt (redirect without JavaScript, in place with it).
  await expect(page).toHaveURL(/\/connect\/linkedin\?flow=[\w-]+$/);
  for (let i = 0; i < 2; i++) {
    await reloadReady(page);
    await expect(refusal).toBeVisible();
    await expect(ui.usernameInput(page)).toHaveValue("user_good");
    await expect(ui.passwordInput(page)).toHaveValue("");
  }
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expectConnected(page, "linkedin", "user_good");
});
