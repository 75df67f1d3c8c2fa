/**
 * Redirect mode (as Unipile's hosted auth): `success_url` / `failure_url` of an allowed origin receive the
 * outcome, signed with NOTIFY_SECRET, with JavaScript on and off. The sandbox's `/demo/return` page shows what
 * arrived.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { test, expect, gotoReady, ui, GOOD_PASSWORD } from "./fixtures/flow";

const origin = `http://${process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3950"}`;
const back = `${origin}/demo/return`;
const param = (page: import("./fixtures/flow").Page, name: string) => page.locator(`dd[data-param="${name}"]`);

/** The README's check of a signature (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`). */
function verify(header: string | null, payload: string, secret: string, toleranceSecs = 300): boolean {
  const parts = Object.fromEntries(String(header).split(",").map((p) => p.split("=", 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSecs) return false;
  const expected = createHmac("sha256", secret).update(`${t}.`).update(payload).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether the return link `url` carries a valid `signature` over the parameters `names` added to it. */
function signedReturn(url: string, names: string[]): boolean {
  // scripts/test gives the server and this suite the same key.
  const secret = process.env.NOTIFY_SECRET;
  expect(secret, "NOTIFY_SECRET must be set for the suite, as scripts/test sets it").toBeTruthy();
  const query = new URL(url).searchParams;
  const payload = names
    .filter((k) => query.has(k))
    .map((k) => `${k}=${query.get(k)}`)
    .join("&");
  return verify(query.get("signature"), payload, secret ?? "");
}

test("success_url receives the account id, the provider and the state", async ({ page }) => {
  await gotoReady(page, `/connect/linkedin?success_url=${encodeURIComponent(back)}&state=host-1`);
  await page.getByLabel("Email or phone", { exact: true }).fill("user_good");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expect(page).toHaveURL(/\/demo\/return\?/);
  await expect(param(page, "account_id")).toHaveText(/^acc_/);
  await expect(param(page, "provider")).toHaveText("linkedin");
  await expect(param(page, "state")).toHaveText("host-1");
  await expect(param(page, "signature")).toHaveText(/^t=\d+,v1=[0-9a-f]{64}$/);
  expect(signedReturn(page.url(), ["account_id", "provider", "state"])).toBe(true);
  // The same signature over another account id does not verify.
  const forged = page.url().replace(/account_id=acc_[^&]+/, "account_id=acc_someone-else");
  expect(signedReturn(forged, ["account_id", "provider", "state"])).toBe(false);
});

test("failure_url hears that the user cancelled, or why the flow ended", async ({ page }) => {
  const query = `failure_url=${encodeURIComponent(back)}&state=host-2`;
  await gotoReady(page, `/connect/linkedin?${query}`);
  await page.getByLabel("Email or phone", { exact: true }).fill("error_already_exists");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /already linked/)).toBeVisible();
  await page.getByRole("link", { name: "Return to the application" }).click();
  await expect(param(page, "error")).toHaveText("already_linked");
  await expect(param(page, "state")).toHaveText("host-2");
  expect(signedReturn(page.url(), ["error", "provider", "state"])).toBe(true);

  await gotoReady(page, `/connect/imap?${query}`);
  await page.getByRole("link", { name: "Cancel and return to the application" }).click();
  await expect(param(page, "error")).toHaveText("cancelled");
  await expect(param(page, "provider")).toHaveText("imap");
  expect(signedReturn(page.url(), ["error", "provider", "state"])).toBe(true);
});

test("a return address outside the allow-list is refused as such, not as a malformed link", async ({ page }) => {
  for (const param of ["success_url", "failure_url"]) {
    await gotoReady(page, `/connect/linkedin?${param}=${encodeURIComponent("https://elsewhere.example/")}`);
    const alert = ui.alert(page, "This return address is not allowed for this application.");
    await expect(alert).toBeVisible();
    await expect(alert).toContainText("Go back to the application");
    await expect(alert).not.toContainText("account reference");
    await expect(ui.passwordInput(page)).toHaveCount(0);
  }

  // A malformed account reference is still called that.
  await gotoReady(page, "/connect/linkedin?account_id=nope");
  await expect(ui.alert(page, /This link is not valid: its account reference or state is malformed/)).toBeVisible();
  await expect(page.getByRole("main")).not.toContainText("return address");
});
