/**
 * The consent screen (Unipile's CONSENT_SCREEN, sandbox user `user_consent`): one checkbox per product,
 * none ticked beforehand; sent with none, it says to tick one; the products ticked link the account.
 */
import { test, expect, signIn, ui, expectConnected, reloadReady } from "./fixtures/flow";

const CONSENT = "Choose the products to activate";

test("consent: at least one product is needed, then the ticked ones link the account", async ({ page }) => {
  await signIn(page, "linkedin", "user_consent");
  await expect(ui.h1(page, CONSENT)).toBeVisible();
  await expect(page.getByRole("main")).toContainText("LinkedIn asks which of its products to activate");
  const products = page.getByRole("group", { name: "Products to activate", exact: true });
  await expect(products.getByRole("checkbox")).toHaveCount(2);
  const linkedin = products.getByRole("checkbox", { name: "LinkedIn", exact: true });
  const salesNavigator = products.getByRole("checkbox", { name: "Sales Navigator", exact: true });
  await expect(linkedin).not.toBeChecked();
  await expect(salesNavigator).not.toBeChecked();
  const proceed = page.getByRole("button", { name: "Continue", exact: true });

  await proceed.click();
  await expect(ui.alert(page, "No product was chosen.")).toBeVisible();
  await expect(ui.alert(page, "Tick at least one product to activate, then press Continue.")).toBeVisible();
  await expect(ui.h1(page, CONSENT)).toBeVisible();
  // A reload shows the same step.
  await reloadReady(page);
  await expect(products.getByRole("checkbox")).toHaveCount(2);

  await salesNavigator.check();
  await proceed.click();
  await expectConnected(page, "linkedin", "user_consent");
});

test("consent: both products can be chosen", async ({ page }) => {
  await signIn(page, "linkedin", "user_consent");
  await page.getByRole("checkbox", { name: "Sales Navigator", exact: true }).check();
  await page.getByRole("checkbox", { name: "LinkedIn", exact: true }).check();
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expectConnected(page, "linkedin", "user_consent");
});
