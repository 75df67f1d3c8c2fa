import {
  test,
  expect,
  signIn,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  ui,
  HEADINGS,
  GOOD_CODE,
  WRONG_CODE,
  type CodeSource,
} from "./fixtures/flow";

const CASES: ReadonlyArray<{ username: string; source: CodeSource; what: string }> = [
  { username: "user_2fa_sms", source: "text message (SMS)", what: "2FA by SMS" },
  { username: "user_2fa_app", source: "authenticator app", what: "2FA by authenticator app" },
  { username: "user_2fa_whatsapp", source: "WhatsApp", what: "2FA by WhatsApp" },
  { username: "user_otp", source: "e-mail", what: "OTP by e-mail" },
];

for (const { username, source, what } of CASES) {
  test(`${what} (${username}): wrong code is refused, right code connects`, async ({ page }) => {
    await signIn(page, "linkedin", username);
    await expectCodeCheckpoint(page, source);

    // A wrong code keeps the checkpoint open and says so.
    await enterCode(page, WRONG_CODE);
    await expect(ui.alert(page, "not correct")).toBeVisible();
    await expect(ui.h1(page, HEADINGS.code)).toBeVisible();
    await expect(ui.codeInput(page)).toHaveValue("");
    await expectCodeCheckpoint(page, source);

    await enterCode(page, GOOD_CODE);
    await expectConnected(page, "linkedin", username);
  });
}

test("a code typed in groups, as the message shows it, is the same code", async ({ page }) => {
  await signIn(page, "linkedin", "user_otp");
  await expectCodeCheckpoint(page, "e-mail");
  // Phones offer the digits keyboard and the code from the message.
  await expect(ui.codeInput(page)).toHaveAttribute("inputmode", "numeric");
  await expect(ui.codeInput(page)).toHaveAttribute("autocomplete", "one-time-code");
  await enterCode(page, `${GOOD_CODE.slice(0, 3)}-${GOOD_CODE.slice(3)}`);
  await expectConnected(page, "linkedin", "user_otp");
});
