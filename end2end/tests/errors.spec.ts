import { test, expect, signIn, ui, HEADINGS, GOOD_PASSWORD, WRONG_PASSWORD } from "./fixtures/flow";

test.describe("refused sign-in keeps the form", () => {
  test("wrong password: alert about the password, username kept, password cleared", async ({ page }) => {
    await signIn(page, "linkedin", "user_good", WRONG_PASSWORD);

    await expect(ui.alert(page, /password/i)).toBeVisible();
    await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
    await expect(ui.usernameInput(page)).toHaveValue("user_good");
    await expect(ui.passwordInput(page)).toHaveValue("");
    await expect(ui.connectButton(page)).toBeVisible();
  });

  test("unknown authentication context: tells the user to sign in on LinkedIn's website", async ({ page }) => {
    await signIn(page, "linkedin", "error_unknown_authentication_context", GOOD_PASSWORD);

    // Accept a straight or a typographic apostrophe.
    await expect(ui.alert(page, /sign in on LinkedIn['\u2019]s website/i)).toBeVisible();
    await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
    await expect(ui.usernameInput(page)).toHaveValue("error_unknown_authentication_context");
  });
});
