/**
 * Links that load the page afresh (another language, another sign-in method) keep what was typed in the
 * provider form, secrets aside: the page posts the values as the page load itself, and the server answers
 * with the link's page drawn with them. Runs in the `js` project only; without JavaScript the link is
 * followed as it is.
 */
import { test, expect, gotoReady, reloadReady, ui, GOOD_PASSWORD, type Page } from "./fixtures/flow";

/** Whether the page has asked the server to keep the typed values since this call. */
function watchHandOver(page: Page): () => boolean {
  let seen = false;
  page.on("request", (r) => {
    if (r.url().endsWith("/api/keep_typed")) seen = true;
  });
  return () => seen;
}

test("switching language keeps the typed username and proxy, not the password, and the form still links", async ({
  page,
  jsEnabled,
}) => {
  test.skip(!jsEnabled, "needs the hydrated app");
  await gotoReady(page, "/connect/linkedin");
  await ui.usernameInput(page).fill("user_good");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await page.getByText("Use my own proxy").click();
  await page.getByLabel("Proxy host", { exact: true }).fill("proxy.example.com");
  await page.getByLabel("Proxy port", { exact: true }).fill("3128");

  const handedOver = page.waitForRequest((r) => r.url().endsWith("/api/keep_typed"));
  await page.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Français" }).click();
  const body = (await handedOver).postData() ?? "";
  expect(body).toContain("user_good");
  expect(body).not.toContain(GOOD_PASSWORD);

  // The address names the kept values, so a reload draws them again.
  await expect(page).toHaveURL(/\/connect\/linkedin\?lang=fr&flow=[\w-]+$/);
  for (const reload of [false, true]) {
    if (reload) await reloadReady(page);
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await expect(page.getByLabel("E-mail ou téléphone", { exact: true })).toHaveValue("user_good");
    await expect(page.getByLabel("Mot de passe", { exact: true })).toHaveValue("");
    await expect(page.getByLabel("Hôte du proxy", { exact: true })).toHaveValue("proxy.example.com");
    await expect(page.getByLabel("Port du proxy", { exact: true })).toHaveValue("3128");
  }

  await page.getByLabel("Mot de passe", { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole("button", { name: "Associer", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("est associé");
});

test("switching sign-in method keeps the fields both methods share", async ({ page, jsEnabled }) => {
  test.skip(!jsEnabled, "needs the hydrated app");
  await gotoReady(page, "/connect/linkedin");
  await ui.usernameInput(page).fill("someone@example.com");
  await page.getByText("Use my own proxy").click();
  await page.getByLabel("Proxy host", { exact: true }).fill("proxy.example.com");

  await page.getByRole("link", { name: "Session cookies", exact: true }).click();
  await expect(page).toHaveURL(/method=cookie/);
  await expect(page.getByRole("link", { name: "Session cookies", exact: true })).toHaveAttribute(
    "aria-current",
    "page",
  );
  await expect(page.getByLabel("Proxy host", { exact: true })).toHaveValue("proxy.example.com");
});

test("a link opened in a new tab leaves this page and its typing alone", async ({ page, jsEnabled }) => {
  test.skip(!jsEnabled, "needs the hydrated app");
  await gotoReady(page, "/connect/linkedin");
  await ui.usernameInput(page).fill("someone@example.com");
  const handedOver = watchHandOver(page);
  const opened = page.context().waitForEvent("page");
  await page.getByRole("link", { name: "Français" }).click({ modifiers: ["ControlOrMeta"] });
  await (await opened).close();
  await expect(ui.usernameInput(page)).toHaveValue("someone@example.com");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  expect(handedOver()).toBe(false);
});

test("a switch while the form is being sent follows the link without racing the sign-in", async ({
  page,
  jsEnabled,
}) => {
  test.skip(!jsEnabled, "needs the hydrated app");
  await gotoReady(page, "/connect/linkedin");
  const handedOver = watchHandOver(page);
  // The sandbox holds this sign-in's answer until the app's upstream timeout.
  await ui.usernameInput(page).fill("error_slow");
  await ui.passwordInput(page).fill(GOOD_PASSWORD);
  await ui.connectButton(page).click();
  await expect(page.getByRole("button", { name: "Connecting…", exact: true })).toBeDisabled();
  await page.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Français" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  expect(handedOver()).toBe(false);
});

test("a switch is one page load carrying the typing, so a slow server delays it but loses nothing", async ({
  page,
  jsEnabled,
}) => {
  test.skip(!jsEnabled, "needs the hydrated app");
  await gotoReady(page, "/connect/linkedin");
  // The hand-over is held for a while, as on a slow network; nothing may load the page without it.
  await page.route("**/api/keep_typed", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await route.continue();
  });
  await ui.usernameInput(page).fill("someone@example.com");
  const handedOver = page.waitForRequest((r) => r.url().endsWith("/api/keep_typed"));
  await page.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Français" }).click();
  const request = await handedOver;
  expect(request.isNavigationRequest()).toBe(true);
  expect(request.method()).toBe("POST");
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.getByLabel("E-mail ou téléphone", { exact: true })).toHaveValue("someone@example.com");
  expect(request.redirectedTo()?.url() ?? "").toMatch(/\/connect\/linkedin\?lang=fr&flow=[\w-]+$/);
});
