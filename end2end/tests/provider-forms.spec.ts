/**
 * Every provider form and sign-in method, with JavaScript on and off: its fields, its validation
 * messages, a successful link and one refusal; then IMAP server settings, proxies and reconnection.
 */
import {
  test,
  expect,
  gotoReady,
  ui,
  HEADINGS,
  GOOD_PASSWORD,
  WRONG_PASSWORD,
  type Page,
  type ProviderId,
} from "./fixtures/flow";

type MethodCase = {
  provider: ProviderId;
  /** The method's link text, when the provider offers several. */
  method?: string;
  /** Label → value that links the account in the sandbox. */
  good: Record<string, string>;
  /** Label → value that is refused. */
  bad: Record<string, string>;
  /** Labels of the required fields. */
  required: string[];
};

const METHODS: MethodCase[] = [
  {
    provider: "linkedin",
    good: { "Email or phone": "user_good", Password: GOOD_PASSWORD },
    bad: { "Email or phone": "user_good", Password: WRONG_PASSWORD },
    required: ["Email or phone", "Password"],
  },
  {
    provider: "linkedin",
    method: "Session cookies",
    good: { "li_at cookie": "cookie_good" },
    bad: { "li_at cookie": "cookie_stale" },
    required: ["li_at cookie"],
  },
  {
    provider: "instagram",
    good: { Username: "user_good", Password: GOOD_PASSWORD },
    bad: { Username: "user_good", Password: WRONG_PASSWORD },
    required: ["Username", "Password"],
  },
  {
    provider: "instagram",
    method: "Session cookie",
    good: { "sessionid cookie": "cookie_good" },
    bad: { "sessionid cookie": "cookie_stale" },
    required: ["sessionid cookie"],
  },
  {
    provider: "messenger",
    good: { "Email or phone": "user_good", Password: GOOD_PASSWORD },
    bad: { "Email or phone": "user_good", Password: WRONG_PASSWORD },
    required: ["Email or phone", "Password"],
  },
  {
    provider: "x",
    good: { "Username, email or phone": "user_good", Password: GOOD_PASSWORD },
    bad: { "Username, email or phone": "user_good", Password: WRONG_PASSWORD },
    required: ["Username, email or phone", "Password"],
  },
  {
    provider: "imap",
    good: { "Email address": "user_good@example.com", Password: GOOD_PASSWORD },
    bad: { "Email address": "user_good@example.com", Password: WRONG_PASSWORD },
    required: ["Email address", "Password"],
  },
];

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

async function fill(page: Page, values: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(values)) await field(page, label).fill(value);
}

async function openMethod(page: Page, c: MethodCase): Promise<void> {
  await gotoReady(page, `/connect/${c.provider}`);
  await expect(ui.h1(page, HEADINGS.form(c.provider))).toBeVisible();
  if (c.method) {
    await page.getByRole("navigation", { name: "How to sign in" }).getByRole("link", { name: c.method }).click();
    await expect(page.getByRole("link", { name: c.method })).toHaveAttribute("aria-current", "page");
  }
}

for (const c of METHODS) {
  const name = `${c.provider}${c.method ? ` (${c.method})` : ""}`;
  test(`${name}: fields, validation, a refusal, then a link`, async ({ page }) => {
    await openMethod(page, c);
    for (const label of Object.keys(c.good)) await expect(field(page, label)).toBeVisible();

    // Validation: submitted empty, each required field says what to do and is marked invalid.
    await ui.connectButton(page).click();
    await expect(ui.alert(page, /Some fields are missing/)).toBeVisible();
    for (const label of c.required) {
      await expect(field(page, label)).toHaveAttribute("aria-invalid", "true");
      await expect(field(page, label)).toHaveAccessibleDescription(new RegExp(`${label} is required`));
    }

    // A refusal keeps the non-secret fields and empties the secret ones.
    await fill(page, c.bad);
    await ui.connectButton(page).click();
    await expect(ui.alert(page, /did not accept this sign-in/)).toBeVisible();
    for (const [label, value] of Object.entries(c.bad)) {
      const secret = (await field(page, label).getAttribute("type")) === "password";
      await expect(field(page, label)).toHaveValue(secret ? "" : value);
    }

    await fill(page, c.good);
    await ui.connectButton(page).click();
    await expect(ui.h1(page, /account .* is connected/)).toBeVisible();
  });
}

test("LinkedIn cookies: the user agent starts as this browser's and can be changed", async ({ page }) => {
  await openMethod(page, METHODS[1]);
  const agent = field(page, "Browser user agent");
  await expect(agent).toHaveValue(/Chrome\//);
  await expect(field(page, "li_at cookie")).toHaveAttribute("type", "password");
  await agent.fill("Mozilla/5.0 (Edited)");
  await fill(page, { "li_at cookie": "cookie_stale" });
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /did not accept/)).toBeVisible();
  await expect(agent).toHaveValue("Mozilla/5.0 (Edited)");
});

test("LinkedIn products: Recruiter and Sales Navigator are exclusive, classic is ticked", async ({ page }) => {
  await gotoReady(page, "/connect/linkedin");
  const products = page.getByRole("group", { name: "Products" });
  await expect(products.getByLabel("LinkedIn (messaging and profile)")).toBeChecked();
  await products.getByLabel("Recruiter").check();
  await products.getByLabel("Sales Navigator").check();
  await expect(products.getByLabel("Recruiter")).not.toBeChecked();
  await fill(page, { "Email or phone": "user_good", Password: GOOD_PASSWORD });
  await ui.connectButton(page).click();
  await expect(ui.h1(page, /is connected/)).toBeVisible();
});

test("IMAP: servers not detected, the advanced settings open with the address kept, then it links", async ({
  page,
}) => {
  await gotoReady(page, "/connect/imap");
  await fill(page, { "Email address": "user_good@manual-mail.test", Password: GOOD_PASSWORD });
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /couldn't find the mail server settings/)).toBeVisible();
  await expect(field(page, "Email address")).toHaveValue("user_good@manual-mail.test");
  await expect(field(page, "IMAP server")).toBeVisible();
  await expect(field(page, "IMAP server")).toHaveAttribute("aria-invalid", "true");
  await expect(field(page, "IMAP port")).toHaveValue("993");

  await fill(page, {
    Password: GOOD_PASSWORD,
    "IMAP server": "imap.manual-mail.test",
    "SMTP server": "smtp.manual-mail.test",
  });
  await field(page, "SMTP encryption").selectOption("starttls");
  await ui.connectButton(page).click();
  await expect(ui.h1(page, /IMAP e-mail account .* is connected/)).toBeVisible();
});

test("IMAP: a half-filled server section says which fields it needs", async ({ page }) => {
  await gotoReady(page, "/connect/imap");
  await page.getByText("Advanced settings: mail servers").click();
  await fill(page, {
    "Email address": "user_good@example.com",
    Password: GOOD_PASSWORD,
    "IMAP server": "imap.example.com",
  });
  await ui.connectButton(page).click();
  await expect(field(page, "SMTP server")).toHaveAttribute("aria-invalid", "true");
  await expect(field(page, "SMTP server")).toHaveAccessibleDescription(/needed with the other settings/);
  await expect(field(page, "IMAP server")).toHaveValue("imap.example.com");
});

test("proxy: a failing proxy points at the proxy fields; a working one links", async ({ page }) => {
  await gotoReady(page, "/connect/linkedin");
  await page.getByText("Use my own proxy").click();
  await fill(page, {
    "Email or phone": "user_good",
    Password: GOOD_PASSWORD,
    "Proxy host": "broken-proxy.test",
    "Proxy port": "8080",
  });
  await field(page, "Proxy protocol").selectOption("socks5");
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /Your proxy did not work/)).toBeVisible();
  await expect(field(page, "Proxy host")).toHaveAttribute("aria-invalid", "true");
  await expect(field(page, "Proxy host")).toHaveValue("broken-proxy.test");
  await expect(field(page, "Proxy protocol")).toHaveValue("socks5");

  await fill(page, { Password: GOOD_PASSWORD, "Proxy host": "proxy.example.com", "Proxy port": "99999" });
  await ui.connectButton(page).click();
  await expect(field(page, "Proxy port")).toHaveAccessibleDescription(/between 1 and 65535/);

  await fill(page, { Password: GOOD_PASSWORD, "Proxy port": "3128" });
  await ui.connectButton(page).click();
  await expect(ui.h1(page, /is connected/)).toBeVisible();
});

test("reconnect: the page says so, a different account is explained, the right one reconnects", async ({
  page,
}) => {
  await gotoReady(page, "/connect/linkedin?account_id=acc_e2e_42&state=host-7");
  await expect(ui.h1(page, "Reconnect your LinkedIn account")).toBeVisible();
  await fill(page, { "Email or phone": "error_account_mismatch", Password: GOOD_PASSWORD });
  await page.getByRole("button", { name: "Reconnect", exact: true }).click();
  await expect(ui.alert(page, /belong to a different LinkedIn account/)).toBeVisible();
  await expect(ui.h1(page, "Reconnect your LinkedIn account")).toBeVisible();

  await fill(page, { "Email or phone": "user_good", Password: GOOD_PASSWORD });
  await page.getByRole("button", { name: "Reconnect", exact: true }).click();
  await expect(ui.h1(page, /is connected/)).toBeVisible();
  await expect(page.getByText("Account ID: acc_e2e_42")).toBeVisible();
});

test("reconnect: a malformed link shows no form and offers a new connection", async ({ page }) => {
  await gotoReady(page, "/connect/linkedin?account_id=not-an-account");
  await expect(ui.alert(page, /This link is not valid/)).toBeVisible();
  await expect(ui.passwordInput(page)).toHaveCount(0);
  await page.getByRole("link", { name: "Connect a new account" }).click();
  await expect(ui.passwordInput(page)).toBeVisible();
});

test("password show and hide (JavaScript), and the shown password is still emptied after a refusal", async ({
  page,
  jsEnabled,
}) => {
  test.skip(!jsEnabled, "the toggle needs JavaScript; without it the field stays hidden");
  await gotoReady(page, "/connect/linkedin");
  const show = page.getByRole("button", { name: "Show password", exact: true });
  await expect(show).toHaveAttribute("aria-pressed", "false");
  await ui.passwordInput(page).fill(WRONG_PASSWORD);
  await show.click();
  await expect(show).toHaveAttribute("aria-pressed", "true");
  await expect(ui.passwordInput(page)).toHaveAttribute("type", "text");
  await field(page, "Email or phone").fill("user_good");
  await ui.connectButton(page).click();
  await expect(ui.alert(page, /did not accept/)).toBeVisible();
  await expect(ui.passwordInput(page)).toHaveValue("");
});
