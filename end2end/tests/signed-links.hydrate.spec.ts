/**
 * The sandbox's demo host with signed start links on (the second server, `scripts/signed-server`): its
 * stand-in backend builds a signed link, shows it, and the frame it opens links an account.
 */
import AxeBuilder from "@axe-core/playwright";
import { test, expect, waitForHydration, GOOD_PASSWORD } from "./fixtures/flow";

const signedAddr = process.env.E2E_SIGNED_SITE_ADDR;

test.use({ baseURL: signedAddr ? `http://${signedAddr}` : undefined });

test("the demo host opens the flow with the signed link its backend built", async ({ page }) => {
  expect(signedAddr, "E2E_SIGNED_SITE_ADDR: the signed-links server (scripts/signed-server, started by scripts/test)").toBeTruthy();
  await page.goto("/demo/embed?provider=linkedin&state=demo-signed");
  await page.getByRole("button", { name: "Open in a frame" }).click();
  await expect(page.locator("#link")).toHaveText(/^\/connect\/linkedin\?expires=\d+&nonce=[0-9a-f]{32}&state=demo-signed&sig=[0-9a-f]{64}$/);
  await expect(page.locator("#link-note")).toContainText("Signed with LINK_SECRET");
  const flow = page.frameLocator('iframe[title="Connect an account"]');
  await expect(flow.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  await flow.getByLabel("Email or phone", { exact: true }).fill("user_good");
  await flow.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
  await flow.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.locator('#events li[data-event="success"]')).toHaveCount(1);
  const success = JSON.parse((await page.locator('#events li[data-event="success"]').textContent()) ?? "{}");
  expect(success.state).toBe("demo-signed");
  expect(success.account_id).toMatch(/^acc_/);
});

test("the refusal of a link passes the WCAG 2.1 A/AA scan", async ({ page }) => {
  expect(signedAddr, "E2E_SIGNED_SITE_ADDR: the signed-links server (scripts/signed-server, started by scripts/test)").toBeTruthy();
  await page.goto("/connect/linkedin");
  await waitForHydration(page);
  await expect(page.getByRole("alert").filter({ hasText: "This link is not valid or has expired" })).toBeVisible();
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});
