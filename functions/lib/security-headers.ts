/**
 * Security headers. Every response gets a strict default CSP; HTML pages replace it with their own
 * (`pageCsp`), which lists the hashes of their inline script and style and who may frame them.
 */
export const BASE_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
};

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface PageCspOptions {
  scriptHashes?: string[];
  styleHashes?: string[];
  /** Origins allowed to frame the page; none → `'none'`. */
  frameAncestors?: string[];
  /** Extra `connect-src` entries (the page always may call its own origin). */
  connect?: string[];
  /** Extra `frame-src` entries, e.g. Turnstile when a department opts in. */
  frames?: string[];
}

export function pageCsp(o: PageCspOptions): string {
  const hashes = (xs: string[] | undefined) => (xs ?? []).map((h) => `'${h}'`).join(" ");
  const ancestors = o.frameAncestors?.length ? o.frameAncestors.join(" ") : "'none'";
  const script = hashes(o.scriptHashes);
  const style = hashes(o.styleHashes);
  return [
    "default-src 'none'",
    `script-src ${script || "'none'"}${o.frames?.length ? ` ${o.frames.join(" ")}` : ""}`,
    `style-src ${style || "'none'"}`,
    "img-src 'self' data:",
    `connect-src 'self'${o.connect?.length ? ` ${o.connect.join(" ")}` : ""}`,
    `frame-src ${o.frames?.length ? o.frames.join(" ") : "'none'"}`,
    "form-action 'self'",
    "base-uri 'none'",
    `frame-ancestors ${ancestors}`,
  ].join("; ");
}

/**
 * Turns a department's allowed origins into `frame-ancestors` sources. Entries are exact origins
 * (`https://www.example.gov.cn`) or host patterns with a port wildcard (`http://localhost:*`).
 */
export function frameAncestorSources(allowed: string[]): string[] {
  return allowed.filter((o) => /^https?:\/\/[a-z0-9.*-]+(:(\d+|\*))?$/i.test(o));
}
