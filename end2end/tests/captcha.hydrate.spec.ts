import {
  test,
  expect,
  signIn,
  enterCode,
  expectConnected,
  gotoReady,
  ui,
  HEADINGS,
  GOOD_CODE,
  type Page,
} from "./fixtures/flow";

// The CAPTCHA step needs JavaScript: these run in the `js` project only. The sandbox serves a stand-in for
// the Arkose Labs client API that draws a "Sandbox security check" with "Verify" and "Fail" buttons.

const CAPTCHA_HEADING = "Complete the security check";

const challenge = (page: Page) => page.getByRole("group", { name: "Sandbox security check", exact: true });
const challengeButton = (page: Page, name: "Verify" | "Fail") =>
  challenge(page).getByRole("button", { name, exact: true });
const startOver = (page: Page) => page.getByRole("button", { name: "Start over", exact: true });

/** The <script data-callback> tags the page holds and whether each callback is still on `window`. */
async function arkoseTraces(page: Page): Promise<{ scripts: number; callbacks: string[] }> {
  return page.evaluate(() => {
    const tags = Array.from(document.querySelectorAll("script[data-callback]"));
    const callbacks = Object.keys(window).filter((name) => name.startsWith("cfArkoseReady_"));
    return { scripts: tags.length, callbacks };
  });
}

/** Signs in as `username` and waits for the stand-in challenge to be drawn. */
async function openChallenge(page: Page, username: string): Promise<void> {
  await signIn(page, "linkedin", username);
  await expect(ui.h1(page, CAPTCHA_HEADING)).toBeVisible();
  await expect(challengeButton(page, "Verify")).toBeVisible();
}

/** The answer hidden in the sandbox blob (`token=…|`), which the stand-in echoes in `data-blob`. */
async function sandboxToken(page: Page): Promise<string> {
  const blob = (await challenge(page).getAttribute("data-blob")) ?? "";
  const token = /token=([^|]*)\|/.exec(blob)?.[1];
  expect(token, `no token in the blob ${JSON.stringify(blob)}`).toBeTruthy();
  return token!;
}

function solveRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (req) => {
    if (new URL(req.url()).pathname === "/api/solve_checkpoint") seen.push(req.url());
  });
  return seen;
}

function completeMessage(publicKey: string, token: string): string {
  return JSON.stringify({ eventId: "challenge-complete", publicKey, payload: { sessionToken: token } });
}

// The blob carries `<script>alert('sandbox')</script>`: any dialog means it was executed somewhere.
let dialogs: string[] = [];

test.beforeEach(async ({ page, jsEnabled }) => {
  test.skip(!jsEnabled, "the CAPTCHA needs the hydrated app");
  dialogs = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
});

test.afterEach(() => {
  expect(dialogs, "dialogs opened during the test").toEqual([]);
});

test("user_captcha: the blob reaches the script unchanged and Verify connects the account", async ({ page }) => {
  await openChallenge(page, "user_captcha");
  await expect(ui.announcer(page)).toContainText(/security check/i);

  const blob = await challenge(page).getAttribute("data-blob");
  expect(blob).toMatch(/^sandbox-captcha\|token=sandbox-token:acc_\w+\|payload="it's" <\/script><script>alert\('sandbox'\)<\/script>$/);
  expect(await challenge(page).getAttribute("data-public-key")).toBe("sandbox-public-key");
  // The needs-JavaScript text is server-rendered only.
  await expect(page.getByText("This step needs JavaScript")).toHaveCount(0);
  // The only script tag added is the Arkose one, loaded from the sandbox's stand-in.
  const src = await page.locator("script[data-callback]").getAttribute("src");
  expect(src).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/arkose\/v2\/sandbox-public-key\/api\.js$/);

  await challengeButton(page, "Verify").click();
  await expectConnected(page, "linkedin", "user_captcha");
  expect(await arkoseTraces(page)).toEqual({ scripts: 0, callbacks: [] });
});

test("user_captcha_large: a blob longer than one cookie survives a reload and Verify connects", async ({ page }) => {
  await openChallenge(page, "user_captcha_large");
  const blob = (await challenge(page).getAttribute("data-blob")) ?? "";
  expect(blob.length).toBeGreaterThan(5000);
  const cookies = (await page.context().cookies()).filter((c) => c.name.startsWith("cf_flow_linkedin"));
  expect(cookies.length).toBeGreaterThanOrEqual(2);

  await page.reload();
  await expect(ui.h1(page, CAPTCHA_HEADING)).toBeVisible();
  await expect(challengeButton(page, "Verify")).toBeVisible();
  expect(await challenge(page).getAttribute("data-blob")).toBe(blob);
  await challengeButton(page, "Verify").click();
  await expectConnected(page, "linkedin", "user_captcha_large");
});

test("a failed challenge says so and can be tried again", async ({ page }) => {
  await openChallenge(page, "user_captcha");
  await challengeButton(page, "Fail").click();
  await expect(ui.alert(page, "The verification failed. Try again.")).toBeVisible();
  await expect(ui.h1(page, CAPTCHA_HEADING)).toBeVisible();

  await page.getByRole("button", { name: "Try again", exact: true }).click();
  await expect(ui.alert(page, "The verification failed")).toHaveCount(0);
  await challengeButton(page, "Verify").click();
  await expectConnected(page, "linkedin", "user_captcha");
});

test("user_captcha_fail: the first Verify fails, the retry passes", async ({ page }) => {
  await openChallenge(page, "user_captcha_fail");
  await challengeButton(page, "Verify").click();
  await expect(ui.alert(page, "The verification failed. Try again.")).toBeVisible();
  await page.getByRole("button", { name: "Try again", exact: true }).click();
  await challengeButton(page, "Verify").click();
  await expectConnected(page, "linkedin", "user_captcha_fail");
});

for (const { username, loads } of [
  { username: "user_captcha_404", loads: 3 },
  { username: "user_captcha_error", loads: 1 },
]) {
  test(`${username}: "could not load", then Start over returns to the form`, async ({ page }) => {
    const scriptLoads: string[] = [];
    page.on("request", (req) => {
      if (req.url().includes("/arkose/v2/")) scriptLoads.push(req.url());
    });
    await signIn(page, "linkedin", username);
    await expect(ui.h1(page, CAPTCHA_HEADING)).toBeVisible();
    await expect(ui.alert(page, "The verification could not load.")).toBeVisible();
    await expect(challenge(page)).toHaveCount(0);
    expect(scriptLoads, "script loads tried before giving up").toHaveLength(loads);
    expect(await arkoseTraces(page)).toEqual({ scripts: 0, callbacks: [] });

    await startOver(page).click();
    await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
    await expect(ui.usernameInput(page)).toHaveValue(username);
  });
}

test("Start over leaves no Arkose script tag and no window callback behind", async ({ page }) => {
  await openChallenge(page, "user_captcha");
  const during = await arkoseTraces(page);
  expect(during.scripts).toBe(1);
  expect(during.callbacks).toHaveLength(1);
  const callback = await page.locator("script[data-callback]").getAttribute("data-callback");
  expect(during.callbacks).toEqual([callback]);

  await startOver(page).click();
  await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
  expect(await arkoseTraces(page)).toEqual({ scripts: 0, callbacks: [] });
  expect(await page.evaluate((name) => name in window, callback!)).toBe(false);
});

test("going back to the picker in the app leaves no Arkose script tag and no window callback behind", async ({
  page,
}) => {
  await gotoReady(page, "/");
  await ui.providerLink(page, "linkedin").click();
  await expect(ui.h1(page, HEADINGS.form("linkedin"))).toBeVisible();
  await ui.usernameInput(page).fill("user_captcha");
  await ui.passwordInput(page).fill("pass_good");
  await ui.connectButton(page).click();
  await expect(challengeButton(page, "Verify")).toBeVisible();
  expect((await arkoseTraces(page)).scripts).toBe(1);

  await page.goBack();
  await expect(ui.h1(page, HEADINGS.picker)).toBeVisible();
  expect(await arkoseTraces(page)).toEqual({ scripts: 0, callbacks: [] });
});

test("a challenge-complete message from another origin does not solve the checkpoint", async ({ page }) => {
  await openChallenge(page, "user_captcha");
  const token = await sandboxToken(page);
  const solves = solveRequests(page);

  // A window of another origin with a handle on the page: a popup it opened (an iframe would depend on
  // the frame-src policy). The request never leaves the browser.
  const foreign = "http://forged-origin.invalid";
  await page.context().route(`${foreign}/**`, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Forged</title><p>forged</p>" }),
  );
  const popupOpened = page.waitForEvent("popup");
  await page.evaluate((url) => {
    window.open(url, "forged");
  }, `${foreign}/`);
  const popup = await popupOpened;
  await popup.waitForLoadState();
  expect(await popup.evaluate(() => location.origin)).toBe(foreign);
  const posted = await popup.evaluate((message) => {
    if (!window.opener) return false;
    window.opener.postMessage(message, "*");
    return true;
  }, completeMessage("sandbox-public-key", token));
  expect(posted, "the popup could not reach the page").toBe(true);

  // Same origin but another public key: ignored too.
  await page.evaluate((message) => window.postMessage(message, location.origin), completeMessage("other-key", token));

  // Messages from one window to another arrive in the order they were posted, and the page acts on a message
  // before it handles the next one. So once each sender's later "barrier" message has been heard (the page
  // then fetches /healthz), a solve the forged messages had started would already have been requested.
  await page.evaluate(() =>
    window.addEventListener("message", (event) => {
      if (event.data === "barrier") void fetch(`/healthz?from=${encodeURIComponent(event.origin)}`);
    }),
  );
  const barriers = page.waitForRequest((req) => new URL(req.url()).searchParams.get("from") === foreign);
  await popup.evaluate(() => window.opener.postMessage("barrier", "*"));
  await barriers;
  const ownBarrier = page.waitForRequest((req) => new URL(req.url()).pathname === "/healthz");
  await page.evaluate(() => window.postMessage("barrier", location.origin));
  await ownBarrier;
  expect(solves, "no solve request may follow a forged message").toEqual([]);
  await expect(ui.h1(page, CAPTCHA_HEADING)).toBeVisible();
  await expect(challengeButton(page, "Verify")).toBeVisible();

  // The same message from the page's own origin is accepted: the origin is what was refused.
  await page.evaluate((message) => window.postMessage(message, location.origin), completeMessage("sandbox-public-key", token));
  await expectConnected(page, "linkedin", "user_captcha");
  expect(solves).toHaveLength(1);
});

test("user_chain goes through the code, then the CAPTCHA, then on to the next step", async ({ page }) => {
  await signIn(page, "linkedin", "user_chain");
  await expect(ui.h1(page, HEADINGS.code)).toBeVisible();
  await enterCode(page, GOOD_CODE);
  await expect(ui.h1(page, CAPTCHA_HEADING)).toBeVisible();
  await challengeButton(page, "Verify").click();
  await expect(ui.h1(page, CAPTCHA_HEADING)).toHaveCount(0);
  await expect(ui.h1(page)).toBeVisible();
  await expect(ui.h1(page)).not.toHaveText(HEADINGS.code);
  expect(await arkoseTraces(page)).toEqual({ scripts: 0, callbacks: [] });
});
