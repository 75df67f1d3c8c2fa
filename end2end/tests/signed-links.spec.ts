/**
 * Signed start links, with JavaScript on and off: a link the host's backend signed opens the form and links
 * an account (redirect mode back to the host); a page without a link, or a link used or expired, shows no form
 * and says what to do; a reload of the sign-in in progress keeps working.
 *
 * The suite's own server runs in sandbox mode, where signed links are off. These specs run against a second
 * server of the same build with `access.signed_links = true` (`scripts/signed-server`, which `scripts/test`
 * starts), at E2E_SIGNED_SITE_ADDR, with the LINK_SECRET they sign with.
 */
import { createHmac, randomBytes } from "node:crypto";
import {
  test,
  expect,
  gotoReady,
  reloadReady,
  ui,
  enterCode,
  expectCodeCheckpoint,
  expectConnected,
  GOOD_PASSWORD,
  GOOD_CODE,
  type Page,
} from "./fixtures/flow";

const signedAddr = process.env.E2E_SIGNED_SITE_ADDR;
const secret = process.env.LINK_SECRET;
// The suite's own server: an origin of embed.allowed_origins, whose /demo/return plays the host's page.
const host = `http://${process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3950"}`;
const REFUSAL = "This link is not valid or has expired — return to the application to get a new one.";

test.use({ baseURL: signedAddr ? `http://${signedAddr}` : undefined });

test.beforeEach(() => {
  expect(signedAddr, "E2E_SIGNED_SITE_ADDR: the signed-links server (scripts/signed-server, started by scripts/test)").toBeTruthy();
  expect(secret, "LINK_SECRET: the key of the signed-links server, as scripts/test sets it").toBeTruthy();
});

/** A start link (path and query) as the README's Node.js function builds it. */
function startLink(provider: string, params: Record<string, string>, lifetimeSecs = 900): string {
  const entries = Object.entries({
    ...params,
    expires: String(Math.floor(Date.now() / 1000) + lifetimeSecs),
    nonce: randomBytes(16).toString("hex"),
  }).sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const signed = `/connect/${provider}?${new URLSearchParams(entries)}`;
  const sig = createHmac("sha256", secret ?? "").update(signed).digest("hex");
  return `${signed}&sig=${sig}`;
}

async function expectRefused(page: Page) {
  await expect(ui.alert(page, REFUSAL)).toBeVisible();
  await expect(ui.passwordInput(page)).toHaveCount(0);
  await expect(ui.connectButton(page)).toHaveCount(0);
}

test("a signed link opens the form, links the account and sends the browser back to the host", async ({ page, browser }) => {
  const link = startLink("linkedin", { state: "e2e-signed", success_url: `${host}/demo/return` });
  await gotoReady(page, link);
  await ui.usernameInput(page).fill("user_good");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expect(page).toHaveURL(/\/demo\/return\?/);
  await expect(page.locator('dd[data-param="account_id"]')).toHaveText(/^acc_/);
  await expect(page.locator('dd[data-param="state"]')).toHaveText("e2e-signed");

  // The same link in another browser: used, so refused.
  const other = await browser.newPage();
  const refused = await other.goto(`http://${signedAddr}${link}`);
  expect(refused?.status()).toBe(403);
  await expectRefused(other);
  await other.close();
});

test("a link opened in two browsers starts one sign-in: the second is refused when it submits", async ({ page, browser, jsEnabled }) => {
  const link = startLink("instagram", { state: "two-browsers" });
  const second = await browser.newPage({ baseURL: `http://${signedAddr}`, javaScriptEnabled: jsEnabled });
  const errors: string[] = [];
  second.on("pageerror", (err) => errors.push(`${err.name}: ${err.message}`));
  await gotoReady(page, link);
  await gotoReady(second, link);
  await page.getByLabel("Username", { exact: true }).fill("user_good");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expect(ui.h1(page, /is connected/)).toBeVisible();

  await second.getByLabel("Username", { exact: true }).fill("user_good");
  await ui.passwordInput(second).fill(GOOD_PASSWORD);
  await ui.connectButton(second).click();
  await expectRefused(second);
  expect(errors, "uncaught errors in the second browser's page").toEqual([]);
  await second.close();
});

test("a page opened without a signed link, or with an altered one, shows no form", async ({ page }) => {
  const response = await page.goto("/connect/linkedin?state=typed-by-hand");
  expect(response?.status()).toBe(403);
  await expectRefused(page);
  // No way back: the unsigned failure_url of an address is not trusted.
  await page.goto(`/connect/linkedin?failure_url=${encodeURIComponent(`${host}/demo/return`)}`);
  await expectRefused(page);
  await expect(page.getByRole("link", { name: "Return to the application" })).toHaveCount(0);

  const altered = startLink("linkedin", { state: "mine" }).replace("state=mine", "state=theirs");
  await page.goto(altered);
  await expectRefused(page);
});

test("an expired link says so and leads back to the host's failure_url", async ({ page }) => {
  await page.goto(startLink("imap", { state: "late", failure_url: `${host}/demo/return` }, -60));
  await expectRefused(page);
  await page.getByRole("link", { name: "Return to the application" }).click();
  await expect(page).toHaveURL(/\/demo\/return\?/);
  await expect(page.locator('dd[data-param="error"]')).toHaveText("link_expired");
  await expect(page.locator('dd[data-param="provider"]')).toHaveText("imap");
  await expect(page.locator('dd[data-param="state"]')).toHaveText("late");
});

test("the sign-in in progress survives a reload and a wrong password", async ({ page }) => {
  await gotoReady(page, startLink("linkedin", { state: "e2e-reload" }));
  await ui.usernameInput(page).fill("user_2fa_sms");
  await ui.passwordInput(page).fill("pass_wrong");
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /password/)).toBeVisible();
  await ui.usernameInput(page).fill("user_2fa_sms");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expectCodeCheckpoint(page, "text message (SMS)");

  await reloadReady(page);
  await expectCodeCheckpoint(page, "text message (SMS)");
  await enterCode(page, GOOD_CODE);
  await expectConnected(page, "linkedin", "user_2fa_sms");
});
