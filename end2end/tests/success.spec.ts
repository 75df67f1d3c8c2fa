import { test, expect, signIn, expectConnected, ui, GOOD_PASSWORD } from "./fixtures/flow";

test("user_good connects at once and sees the account id", async ({ page }) => {
  await signIn(page, "linkedin", "user_good", GOOD_PASSWORD);

  await expectConnected(page, "linkedin", "user_good");
  const back = ui.connectAnotherLink(page);
  await expect(back).toBeVisible();
  await expect(back).toHaveAttribute("href", /^(\/|https?:\/\/[^/]+\/)$/);
});
