/**
 * Frame and popup mode: the flow reports `ready`, `step`, `success` and `exit` to an allowed host page
 * (the sandbox's `/demo/embed`), never a secret, and nothing to a host outside `embed.allowed_origins`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test, expect, GOOD_PASSWORD, GOOD_CODE, type Page } from "./fixtures/flow";

const origin = `http://${process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3950"}`;

type FlowEvent = { source: string; event: string; provider: string; [key: string]: string };

async function received(page: Page): Promise<FlowEvent[]> {
  const texts = await page.locator("#events li").allTextContents();
  return texts.map((t) => JSON.parse(t) as FlowEvent);
}

test("frame: an allowed host hears ready, each step and success, with no secret", async ({ page }) => {
  await page.goto("/demo/embed?provider=linkedin&state=host-state");
  await page.getByRole("button", { name: "Open in a frame" }).click();
  const flow = page.frameLocator('iframe[title="Connect an account"]');
  await expect(flow.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  await flow.getByLabel("Email or phone", { exact: true }).fill("user_2fa_sms");
  await flow.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
  await flow.getByRole("button", { name: "Connect", exact: true }).click();
  await flow.getByLabel("Verification code", { exact: true }).fill(GOOD_CODE);
  await flow.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.locator('#events li[data-event="success"]')).toHaveCount(1);

  const events = await received(page);
  expect(events.map((e) => (e.event === "step" ? `step:${e.step}` : e.event))).toEqual([
    "ready",
    "step:form",
    "step:code",
    "step:connected",
    "success",
  ]);
  const success = events[events.length - 1];
  expect(success.account_id).toMatch(/^acc_/);
  expect(success.provider).toBe("linkedin");
  expect(success.state).toBe("host-state");
  for (const e of events) {
    expect(e.source).toBe("credentials-flow");
    const text = JSON.stringify(e);
    expect(text).not.toContain(GOOD_PASSWORD);
    expect(text).not.toContain(GOOD_CODE);
  }
});

/** Opens the LinkedIn flow in the demo host's frame and signs in as `username`. */
async function signInInFrame(page: Page, username: string) {
  await page.goto("/demo/embed?provider=linkedin");
  await page.getByRole("button", { name: "Open in a frame" }).click();
  const flow = page.frameLocator('iframe[title="Connect an account"]');
  await expect(flow.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  await flow.getByLabel("Email or phone", { exact: true }).fill(username);
  await flow.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
  await flow.getByRole("button", { name: "Connect", exact: true }).click();
  return flow;
}

function stepNames(events: FlowEvent[]): string[] {
  return events.map((e) => (e.event === "step" ? `step:${e.step}` : e.event));
}

test("frame: a consent is the step `consent`", async ({ page }) => {
  const flow = await signInInFrame(page, "user_consent");
  await flow.getByRole("checkbox", { name: "LinkedIn", exact: true }).check();
  await flow.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page.locator('#events li[data-event="success"]')).toHaveCount(1);
  expect(stepNames(await received(page))).toEqual(["ready", "step:form", "step:consent", "step:connected", "success"]);
});

test("frame: a pairing code is the step `pairing_code`, and no event carries the code", async ({ page }) => {
  await signInInFrame(page, "user_pairing");
  await expect(page.locator('#events li[data-event="success"]')).toHaveCount(1);
  const events = await received(page);
  expect(stepNames(events)).toEqual(["ready", "step:form", "step:pairing_code", "step:connected", "success"]);
  for (const e of events) expect(JSON.stringify(e)).not.toMatch(/[A-Z2-9]{4}-[A-Z2-9]{4}/);
});

test("frame: Close tells the host the user left", async ({ page }) => {
  await page.goto("/demo/embed?provider=imap");
  await page.getByRole("button", { name: "Open in a frame" }).click();
  const flow = page.frameLocator('iframe[title="Connect an account"]');
  await flow.getByRole("button", { name: "Close", exact: true }).click();
  await expect(page.locator('#events li[data-event="exit"]')).toHaveCount(1);
  const exit = (await received(page)).find((e) => e.event === "exit");
  expect(exit?.reason).toBe("closed");
  expect(exit?.provider).toBe("imap");
  await expect(page.locator("iframe")).toHaveCount(0);
});

test("popup: the opener hears the outcome", async ({ page }) => {
  await page.goto("/demo/embed?provider=linkedin");
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    page.getByRole("button", { name: "Open in a popup" }).click(),
  ]);
  await expect(popup.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  await popup.getByLabel("Email or phone", { exact: true }).fill("user_good");
  await popup.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
  await popup.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.locator('#events li[data-event="success"]')).toHaveCount(1);
});

test("a host outside the allow-list can't frame the flow and hears nothing", async ({ page }) => {
  // Same machine, another port: another origin, not in embed.allowed_origins.
  const host = http.createServer((_req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(`<!DOCTYPE html><html><body><ol id="events"></ol>
      <iframe title="Connect an account" src="${origin}/connect/linkedin"></iframe>
      <script>
        addEventListener("message", (e) => {
          const li = document.createElement("li");
          li.textContent = JSON.stringify(e.data);
          document.getElementById("events").append(li);
        });
        window.openFlow = () => window.open("${origin}/connect/linkedin", "flow", "popup");
      </script></body></html>`);
  });
  await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
  const port = (host.address() as AddressInfo).port;
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    // The frame is refused by frame-ancestors: no form inside it.
    const flow = page.frameLocator('iframe[title="Connect an account"]');
    await expect(flow.getByLabel("Password", { exact: true })).toHaveCount(0);

    const [popup] = await Promise.all([page.waitForEvent("popup"), page.evaluate(() => (window as any).openFlow())]);
    await expect(popup.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
    await popup.getByLabel("Email or phone", { exact: true }).fill("user_good");
    await popup.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
    await popup.getByRole("button", { name: "Connect", exact: true }).click();
    await expect(popup.getByRole("heading", { level: 1, name: /is connected/ })).toBeVisible();
    // Messages from one window to another arrive in the order they were posted: once this one, posted by the
    // test from the popup after the flow finished, has arrived, any the flow posted would have too.
    await popup.evaluate(() => window.opener.postMessage("after the flow", "*"));
    await expect(page.locator("#events li").last()).toHaveText('"after the flow"');
    await expect(page.locator("#events li")).toHaveCount(1);
  } finally {
    host.close();
  }
});
