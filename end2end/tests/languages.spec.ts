/**
 * English and French: `?lang=`, the switcher (remembered in a cookie) and the browser's language choose;
 * `<html lang>` follows, and so does every screen of a flow, its errors included. JavaScript on and off.
 */
import { test, expect, gotoReady, GOOD_PASSWORD, WRONG_PASSWORD, GOOD_CODE, WRONG_CODE } from "./fixtures/flow";

test("a whole flow in French: form, refusal, code, wrong code, success", async ({ page }) => {
  await gotoReady(page, "/connect/linkedin?lang=fr");
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Associer votre compte LinkedIn");

  await page.getByLabel("E-mail ou téléphone", { exact: true }).fill("user_2fa_sms");
  await page.getByLabel("Mot de passe", { exact: true }).fill(WRONG_PASSWORD);
  await page.getByRole("button", { name: "Associer", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "n’a pas accepté cette connexion" })).toBeVisible();
  await expect(page.getByText("Vérifiez-les et réessayez.")).toBeVisible();

  await page.getByLabel("Mot de passe", { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("button", { name: "Associer", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Saisissez votre code de vérification");
  await expect(page.getByText("LinkedIn vous a envoyé un code par SMS.")).toBeVisible();
  await expect(page.getByText(/Cette tentative expire dans \d+:\d\d\./)).toBeVisible();

  await page.getByLabel("Code de vérification", { exact: true }).fill(WRONG_CODE);
  await page.getByRole("button", { name: "Vérifier", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Ce code n’est pas correct." })).toBeVisible();

  await page.getByLabel("Code de vérification", { exact: true }).fill(GOOD_CODE);
  await page.getByRole("button", { name: "Vérifier", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("est associé");
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
});

test("the switcher changes the language and the choice is remembered", async ({ page }) => {
  await gotoReady(page, "/connect/instagram?method=cookie");
  const languages = page.getByRole("navigation", { name: "Language" });
  await expect(languages.getByRole("link", { name: "English" })).toHaveAttribute("aria-current", "true");
  await languages.getByRole("link", { name: "Français" }).click();
  // With JavaScript the switch also carries the form's typing, which the address then names.
  await expect(page).toHaveURL(/\/connect\/instagram\?method=cookie&lang=fr(&flow=[\w-]+)?$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.getByLabel("Cookie sessionid", { exact: true })).toBeVisible();

  // Another page, no parameter: still French.
  await gotoReady(page, "/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Associer un compte");
  await page.getByRole("navigation", { name: "Langue" }).getByRole("link", { name: "English" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Connect an account");
  await gotoReady(page, "/connect/x");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
});

test.describe("a browser set to French", () => {
  test.use({ locale: "fr-FR" });

  test("gets French without asking, and English stays one click away", async ({ page }) => {
    await gotoReady(page, "/connect/imap");
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Associer votre compte E-mail IMAP");
    await page.getByLabel("Adresse e-mail", { exact: true }).fill("someone@manual-mail.test");
    await page.getByLabel("Mot de passe", { exact: true }).fill(GOOD_PASSWORD);
    await page.getByRole("button", { name: "Associer", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Nous n’avons pas trouvé automatiquement" })).toBeVisible();
    await expect(page.getByLabel("Serveur IMAP", { exact: true })).toBeVisible();

    await page.getByRole("link", { name: "English" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Connect your IMAP e-mail account");
  });
});
