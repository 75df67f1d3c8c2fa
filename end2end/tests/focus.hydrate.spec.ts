import {
  test,
  expect,
  openProviderForm,
  submitCredentials,
  ui,
  HEADINGS,
  GOOD_PASSWORD,
} from "./fixtures/flow";

// Runs in the `js` project only (the `nojs` project ignores *.hydrate.spec.ts).
test("moving to the code checkpoint focuses its heading and announces it, without a page load", async ({
  page,
  jsEnabled,
}) => {
  test.skip(!jsEnabled, "needs the hydrated app");

  await openProviderForm(page, "linkedin");

  // Anything that would signal a full page load after the submit.
  let documentRequests = 0;
  let loads = 0;
  page.on("request", (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) documentRequests += 1;
  });
  page.on("load", () => {
    loads += 1;
  });
  await page.evaluate(() => {
    (window as unknown as { __e2eSameDocument?: string }).__e2eSameDocument = "still here";
  });

  await submitCredentials(page, "user_2fa_sms", GOOD_PASSWORD);

  const heading = ui.h1(page, HEADINGS.code);
  await expect(heading).toBeVisible();
  await expect(heading, "focus moves to the new step's <h1>").toBeFocused();

  const announcer = ui.announcer(page);
  await expect(announcer).toHaveAttribute("role", "status");
  await expect(announcer, "#announcer names the new step").toContainText(/verification code/i);

  // Same document: the marker survives, no document request, no load event.
  const marker = await page.evaluate(
    () => (window as unknown as { __e2eSameDocument?: string }).__e2eSameDocument,
  );
  expect(marker, "the step changed through a full page load").toBe("still here");
  expect(documentRequests, "document (navigation) requests after submit").toBe(0);
  expect(loads, "load events after submit").toBe(0);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
});
