import {
  test,
  expect,
  signIn,
  submitCredentials,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  gotoReady,
  ui,
  GOOD_CODE,
  GOOD_PASSWORD,
  WRONG_CODE,
  type Page,
} from "./fixtures/flow";

/** The server functions the page calls from now on, in order, by name. */
function apiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith("/api/")) calls.push(path.slice("/api/".length));
  });
  return calls;
}

test("each action is one request: its answer draws the next step, a refused code included", async ({ page }) => {
  const calls = apiCalls(page);
  await signIn(page, "linkedin", "user_2fa_sms");
  await expect(ui.h1(page, "Enter your verification code")).toBeFocused();
  await enterCode(page, WRONG_CODE);
  await expect(ui.alert(page, "not correct")).toBeVisible();
  await enterCode(page, GOOD_CODE);
  await expectConnected(page, "linkedin", "user_2fa_sms");
  expect(calls).toEqual(["start_auth_intent", "solve_checkpoint", "solve_checkpoint"]);
});

test("an approval in the app: only the waits, no step read again between them", async ({ page }) => {
  const calls = apiCalls(page);
  await signIn(page, "linkedin", "user_in_app");
  await expect(ui.h1(page, "Approve the sign-in in the app")).toBeVisible();
  await expectConnected(page, "linkedin", "user_in_app");
  expect(calls[0]).toBe("start_auth_intent");
  expect(calls.slice(1).length).toBeGreaterThan(0);
  expect(calls.slice(1).every((call) => call === "wait_checkpoint"), calls.join(", ")).toBe(true);
});

test("code or app approval: approving in the app completes it without typing", async ({ page }) => {
  await signIn(page, "linkedin", "user_otp_or_in_app");
  await expect(ui.h1(page, "Enter your verification code")).toBeVisible();
  await expectConnected(page, "linkedin", "user_otp_or_in_app");
});

test("a dropped connection during the wait resumes polling", async ({ page }) => {
  let dropped = 0;
  await page.route("**/api/wait_checkpoint", async (route) => {
    if (dropped < 2) {
      dropped++;
      await route.abort("connectionreset");
    } else {
      await route.continue();
    }
  });
  await signIn(page, "linkedin", "user_in_app");
  await expect(ui.h1(page, "Approve the sign-in in the app")).toBeVisible();
  await expectConnected(page, "linkedin", "user_in_app");
  expect(dropped).toBe(2);
});

test("each new step takes focus and is announced; a chain moves without page loads", async ({ page }) => {
  await signIn(page, "linkedin", "user_phone");
  await expect(ui.h1(page, "Add a phone number")).toBeFocused();
  await expect(ui.announcer(page)).toContainText("add a phone number");
  await ui.countryCodeInput(page).fill("+33");
  await ui.phoneNumberInput(page).fill("612345678");
  await ui.sendCodeButton(page).click();
  await expect(ui.h1(page, "Enter your verification code")).toBeFocused();
  await expect(ui.announcer(page)).toContainText("verification code");
});

test("two tabs: a form left open on an older attempt cannot act on the newer one", async ({ context }) => {
  const first = await context.newPage();
  await signIn(first, "linkedin", "user_2fa_sms");
  await expectCodeCheckpoint(first, "text message (SMS)");

  // A second tab resumes the same attempt; starting over there makes a newer one.
  const second = await context.newPage();
  await gotoReady(second, "/connect/linkedin");
  await expectCodeCheckpoint(second, "text message (SMS)");
  await second.getByRole("button", { name: "Start over", exact: true }).click();
  await expect(ui.h1(second, "Connect your LinkedIn account")).toBeVisible();
  await submitCredentials(second, "user_2fa_app", GOOD_PASSWORD);
  await expectCodeCheckpoint(second, "authenticator app");

  await enterCode(first, GOOD_CODE);
  await expect(ui.alert(first, "replaced by a newer one")).toBeVisible();
  await expectCodeCheckpoint(first, "authenticator app");

  await enterCode(second, GOOD_CODE);
  await expectConnected(second, "linkedin", "user_2fa_app");
});
