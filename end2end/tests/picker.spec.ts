import { test, expect, gotoReady, ui, HEADINGS, PROVIDERS, GOOD_PASSWORD, GOOD_CODE } from "./fixtures/flow";

test.describe("provider picker", () => {
  test("lists every provider and shows the sandbox banner with the magic credentials", async ({ page }) => {
    await gotoReady(page, "/");
    await expect(ui.h1(page, HEADINGS.picker)).toBeVisible();

    for (const { id, label } of PROVIDERS) {
      const link = ui.providerLink(page, id);
      await expect(link, `picker link "${label}"`).toBeVisible();
      await expect(link).toHaveAttribute("href", new RegExp(`/connect/${id}$`));
    }

    const banner = ui.sandboxBanner(page);
    await expect(banner).toBeVisible();
    await expect(banner).toContainText("Sandbox mode");
    await expect(banner).toContainText(GOOD_PASSWORD);
    await expect(banner).toContainText(GOOD_CODE);
    for (const username of ["user_good", "user_2fa_sms", "user_2fa_app", "user_2fa_whatsapp", "user_otp", "user_phone"]) {
      await expect(banner, `banner lists ${username}`).toContainText(username);
    }
  });

  test("the LinkedIn link opens the LinkedIn form with labelled, autofill-friendly fields", async ({ page }) => {
    await gotoReady(page, "/");
    await ui.providerLink(page, "linkedin").click();

    await expect(page).toHaveURL(/\/connect\/linkedin$/);
    await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();

    const username = ui.usernameInput(page);
    const password = ui.passwordInput(page);
    await expect(username).toBeVisible();
    await expect(username).toHaveAttribute("autocomplete", "username");
    await expect(password).toBeVisible();
    await expect(password).toHaveAttribute("autocomplete", "current-password");
    await expect(password).toHaveAttribute("type", "password");
    await expect(ui.connectButton(page)).toBeVisible();
    await expect(ui.connectButton(page)).toBeEnabled();
  });
});
