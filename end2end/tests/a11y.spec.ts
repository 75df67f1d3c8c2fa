/**
 * Every screen scanned with axe-core (WCAG 2.1 A and AA rules), JavaScript on and off: the picker, each
 * provider form and method with its open sections, refusals and field errors, every checkpoint, success.
 * The Sandbox banner is on every page, so it is scanned everywhere.
 */
import AxeBuilder from "@axe-core/playwright";
import {
  test,
  expect,
  gotoReady,
  signIn,
  ui,
  enterCode,
  holdWaits,
  withoutAppScripts,
  GOOD_PASSWORD,
  WRONG_PASSWORD,
  type Page,
} from "./fixtures/flow";

// axe runs as a script in the page. In the `nojs` project the browser runs scripts but the app's own are
// blocked, so what is scanned is the server-rendered page a browser without JavaScript gets.
test.use({ javaScriptEnabled: true });
test.beforeEach(async ({ page }, testInfo) => {
  if (testInfo.project.use.javaScriptEnabled === false) await withoutAppScripts(page);
});

async function expectNoViolations(page: Page, screen: string): Promise<void> {
  // The banner's details are opened so their table is scanned too.
  await page.locator("details").evaluateAll((all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`,
  );
  expect(found, `axe violations on ${screen}`).toEqual([]);
}

test("picker", async ({ page }) => {
  await gotoReady(page, "/");
  await expectNoViolations(page, "the picker");
});

for (const path of [
  "/connect/linkedin",
  "/connect/linkedin?method=cookie",
  "/connect/instagram",
  "/connect/instagram?method=cookie",
  "/connect/messenger",
  "/connect/x",
  "/connect/imap",
  "/connect/linkedin?account_id=acc_a11y",
  "/connect/linkedin?account_id=bad",
  "/connect/nowhere",
]) {
  test(`form ${path}`, async ({ page }) => {
    await page.goto(path);
    await expectNoViolations(page, path);
  });
}

test("refusal and field errors", async ({ page }) => {
  await signIn(page, "linkedin", "user_good", WRONG_PASSWORD);
  await expect(ui.alert(page, /did not accept/)).toBeVisible();
  await expectNoViolations(page, "a refused sign-in");
  await gotoReady(page, "/connect/imap");
  await page.getByLabel("Email address", { exact: true }).fill("not-an-address");
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /Some fields are missing/)).toBeVisible();
  await expectNoViolations(page, "field errors");
});

const CHECKPOINTS: Array<[string, RegExp]> = [
  ["user_2fa_sms", /verification code/i],
  ["user_phone", /Add a phone number/],
  ["user_in_app_timeout", /Approve the sign-in/],
  ["user_challenge", /Choose how to get your code/],
  ["user_contract", /Choose a contract/],
  ["user_consent", /Choose the products to activate/],
  ["user_otp_or_in_app", /verification code/i],
  ["user_captcha", /security check/i],
];

for (const [username, heading] of CHECKPOINTS) {
  test(`checkpoint ${username}`, async ({ page }) => {
    await signIn(page, "linkedin", username, GOOD_PASSWORD);
    await expect(ui.h1(page, heading)).toBeVisible();
    await expectNoViolations(page, `the checkpoint of ${username}`);
  });
}

test("a pairing code, held on screen", async ({ page }) => {
  const release = await holdWaits(page);
  await signIn(page, "linkedin", "user_pairing", GOOD_PASSWORD);
  await expect(ui.h1(page, "Enter the pairing code in the app")).toBeVisible();
  await expectNoViolations(page, "the pairing code");
  release();
});

test("a consent sent without a product", async ({ page }) => {
  await signIn(page, "linkedin", "user_consent", GOOD_PASSWORD);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(ui.alert(page, /No product was chosen/)).toBeVisible();
  await expectNoViolations(page, "a consent without a product");
});

test("wrong code, then success", async ({ page }) => {
  await signIn(page, "linkedin", "user_2fa_app", GOOD_PASSWORD);
  await enterCode(page, "000000");
  await expect(ui.alert(page, /not correct/)).toBeVisible();
  await expectNoViolations(page, "a wrong code");
  await enterCode(page, "123456");
  await expect(ui.h1(page, /is connected/)).toBeVisible();
  await expectNoViolations(page, "success");
});

test("in French: the form with a refusal, then a code checkpoint", async ({ page }) => {
  await gotoReady(page, "/connect/linkedin?lang=fr");
  await page.getByLabel("E-mail ou téléphone", { exact: true }).fill("user_2fa_sms");
  await page.getByLabel("Mot de passe", { exact: true }).fill(WRONG_PASSWORD);
  await page.getByRole("button", { name: "Associer", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "n’a pas accepté" })).toBeVisible();
  await expectNoViolations(page, "the French form with a refusal");
  await page.getByLabel("Mot de passe", { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("button", { name: "Associer", exact: true }).click();
  await expect(page.getByLabel("Code de vérification", { exact: true })).toBeVisible();
  await expectNoViolations(page, "the French code checkpoint");
});
