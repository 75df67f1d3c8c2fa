import type { FullConfig } from "@playwright/test";

/**
 * Waits (up to 60 s) for the app to answer on the base URL and checks it is Credentials Flow:
 * the HTML of `/` must carry `<meta name="application-name" content="credentials-flow">`.
 * This catches "server not started" and "some other program holds the port" with a clear message.
 */
const MARKER_NAME = "application-name";
const MARKER_CONTENT = "credentials-flow";
const DEADLINE_MS = 60_000;
const POLL_MS = 500;
const REQUEST_TIMEOUT_MS = 5_000;

/** True when `html` has a <meta> with name="application-name" and content="credentials-flow" (any attribute order/quoting). */
export function hasAppMarker(html: string): boolean {
  const metas = html.match(/<meta\b[^>]*>/gi) ?? [];
  return metas.some((tag) => {
    const attr = (name: string) =>
      tag.match(new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>/]+))`, "i"));
    const n = attr("name");
    const c = attr("content");
    const nameValue = n ? (n[1] ?? n[2] ?? n[3]) : undefined;
    const contentValue = c ? (c[1] ?? c[2] ?? c[3]) : undefined;
    return nameValue?.toLowerCase() === MARKER_NAME && contentValue === MARKER_CONTENT;
  });
}

export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]?.use.baseURL;
  if (!baseURL) throw new Error("global-setup: no baseURL in playwright.config.ts");
  const url = new URL("/", baseURL).toString();

  const started = Date.now();
  let last = "no attempt made";
  while (Date.now() - started < DEADLINE_MS) {
    try {
      const res = await fetch(url, {
        redirect: "follow",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        headers: { accept: "text/html" },
      });
      const body = await res.text();
      if (res.ok && hasAppMarker(body)) return;
      if (res.ok) {
        // Something answers, but it is not our app: fail at once, waiting will not help.
        throw new ForeignServerError(
          `global-setup: ${url} answered HTTP ${res.status} but its HTML lacks ` +
            `<meta name="${MARKER_NAME}" content="${MARKER_CONTENT}">.\n` +
            `Another program is probably listening on ${new URL(baseURL).host}. ` +
            `Stop it, or run the app and the tests on a free port (LEPTOS_SITE_ADDR=127.0.0.1:<port>).\n` +
            `First bytes of the answer: ${JSON.stringify(body.slice(0, 200))}`,
        );
      }
      last = `HTTP ${res.status} ${res.statusText}`;
    } catch (err) {
      if (err instanceof ForeignServerError) throw err;
      last = describe(err);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(
    `global-setup: Credentials Flow did not answer at ${url} within ${DEADLINE_MS / 1000} s ` +
      `(last result: ${last}).\n` +
      `Start it first (e.g. \`cargo leptos end-to-end --release\` from the repository root runs the ` +
      `server and this suite; or \`cargo leptos serve\` then \`npx playwright test\`), and make sure ` +
      `LEPTOS_SITE_ADDR is the same for the server and the tests (default 127.0.0.1:3950).`,
  );
}

class ForeignServerError extends Error {}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const code = cause && typeof cause === "object" && "code" in cause ? ` (${String(cause.code)})` : "";
    return `${err.name}: ${err.message}${code}`;
  }
  return String(err);
}
