import {
  test,
  expect,
  signIn,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  gotoReady,
  isJsEnabled,
  ui,
  GOOD_CODE,
  WRONG_CODE,
} from "./fixtures/flow";

const IN_APP = "Approve the sign-in in the app";

test.describe("checkpoints that wait", () => {
  test("in-app approval: the page waits, then shows the linked account", async ({ page }) => {
    await signIn(page, "linkedin", "user_in_app");
    // The page moves on by itself once the sandbox approves (1.5 s in the test command): what it says while
    // waiting is checked below, with a user who never approves.
    await expect(ui.h1(page, IN_APP)).toBeVisible();
    await expectConnected(page, "linkedin", "user_in_app");
  });

  test("in-app approval can be cancelled: back to the form, username kept", async ({ page }) => {
    await signIn(page, "linkedin", "user_in_app_timeout");
    await expect(ui.h1(page, IN_APP)).toBeVisible();
    await expect(page.getByRole("main")).toContainText("Open the LinkedIn app on your phone and approve the sign-in");
    await expect(page.getByRole("main")).toContainText(/This attempt expires in \d+:\d\d/);
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await expect(ui.h1(page, "Connect your LinkedIn account")).toBeVisible();
    await expect(ui.usernameInput(page)).toHaveValue("user_in_app_timeout");
    await expect(ui.passwordInput(page)).toHaveValue("");
  });

  test("loading turns into the next step by itself", async ({ page }) => {
    await signIn(page, "linkedin", "user_loading");
    await expectCodeCheckpoint(page, "text message (SMS)");
    await enterCode(page, GOOD_CODE);
    await expectConnected(page, "linkedin", "user_loading");
  });

  test("code or app approval: a typed code completes it", async ({ page }) => {
    await signIn(page, "linkedin", "user_otp_or_in_app");
    await expect(page.getByRole("main")).toContainText("Or approve the sign-in in the LinkedIn app");
    await enterCode(page, GOOD_CODE);
    await expectConnected(page, "linkedin", "user_otp_or_in_app");
  });
});

test.describe("checkpoints that ask for a choice", () => {
  test("challenge selection: the chosen method sends a code there", async ({ page }) => {
    await signIn(page, "linkedin", "user_challenge");
    await expect(ui.h1(page, "Choose how to get your code")).toBeVisible();
    const whatsapp = page.getByRole("radio", { name: /WhatsApp/ });
    await expect(whatsapp).toBeVisible();
    await expect(page.getByRole("main")).toContainText("•");
    await whatsapp.check();
    await page.getByRole("button", { name: "Send code", exact: true }).click();
    await expectCodeCheckpoint(page, "WhatsApp");
    await enterCode(page, GOOD_CODE);
    await expectConnected(page, "linkedin", "user_challenge");
  });

  test("contract selection: the chosen contract is linked", async ({ page }) => {
    await signIn(page, "linkedin", "user_contract");
    await expect(ui.h1(page, "Choose a contract")).toBeVisible();
    await page.getByRole("radio", { name: /Globex/ }).check();
    await page.getByRole("button", { name: "Continue", exact: true }).click();
    await expectConnected(page, "linkedin", "user_contract");
  });

  test("try another way offers the other methods", async ({ page }) => {
    await signIn(page, "linkedin", "user_2fa_sms");
    await expectCodeCheckpoint(page, "text message (SMS)");
    await page.getByRole("button", { name: "Try another way", exact: true }).click();
    await expect(ui.h1(page, "Choose how to get your code")).toBeVisible();
    await page.getByRole("radio", { name: /Email/ }).check();
    await page.getByRole("button", { name: "Send code", exact: true }).click();
    await expectCodeCheckpoint(page, "e-mail");
  });
});

test.describe("codes", () => {
  test("resend: available after the cooldown, and says it worked", async ({ page }) => {
    await signIn(page, "linkedin", "user_2fa_sms");
    await expectCodeCheckpoint(page, "text message (SMS)");
    const resend = page.getByRole("button", { name: /^Resend code/ });
    if (isJsEnabled(page)) {
      await expect(resend).toBeDisabled();
      await expect(resend).toBeEnabled({ timeout: 10_000 });
    } else {
      // Without JavaScript the countdown cannot tick: reload once the cooldown is over.
      await page.waitForTimeout(2_500);
      await gotoReady(page, "/connect/linkedin");
    }
    await page.getByRole("button", { name: "Resend code", exact: true }).click();
    await expect(page.getByRole("status").filter({ hasText: "A new code is on its way" })).toBeVisible();
    await expectCodeCheckpoint(page, "text message (SMS)");
  });

  test("too many wrong codes stop the attempt and keep the username", async ({ page }) => {
    await signIn(page, "linkedin", "user_2fa_app");
    for (let left = 4; left >= 1; left--) {
      await enterCode(page, WRONG_CODE);
      await expect(ui.alert(page, `${left} attempt${left === 1 ? "" : "s"} left`)).toBeVisible();
    }
    await enterCode(page, WRONG_CODE);
    await expect(ui.alert(page, "Too many wrong codes")).toBeVisible();
    await expect(ui.usernameInput(page)).toHaveValue("user_2fa_app");
  });
});
