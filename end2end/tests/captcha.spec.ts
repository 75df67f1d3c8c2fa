import { test, expect, signIn, ui, HEADINGS } from "./fixtures/flow";

// With JavaScript the challenge replaces this text (captcha.hydrate.spec.ts); without it, it is all there is.
test("without JavaScript the CAPTCHA step says it needs JavaScript and offers a restart", async ({
  page,
  jsEnabled,
}) => {
  test.skip(jsEnabled, "the JavaScript path is covered by captcha.hydrate.spec.ts");
  await signIn(page, "linkedin", "user_captcha");
  await expect(ui.h1(page, "Complete the security check")).toBeVisible();
  await expect(page.getByRole("main")).toContainText("This step needs JavaScript.");
  await expect(page.locator("script[data-callback]")).toHaveCount(0);

  await page.getByRole("button", { name: "Start over", exact: true }).click();
  await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
  await expect(ui.usernameInput(page)).toHaveValue("user_captcha");
});
