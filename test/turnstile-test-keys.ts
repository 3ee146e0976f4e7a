/**
 * Cloudflare Turnstile's documented test keys
 * (https://developers.cloudflare.com/turnstile/troubleshooting/testing/). Shared by the local
 * siteverify stand-in (Node) and the tests (workerd), so it imports nothing.
 */
export const TURNSTILE_PASS_SECRET = "1x0000000000000000000000000000000AA";
export const TURNSTILE_FAIL_SECRET = "2x0000000000000000000000000000000AA";
export const TURNSTILE_SPENT_SECRET = "3x0000000000000000000000000000000AA";
/** What the widget hands out with a test site key; test secrets accept it. */
export const TURNSTILE_DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";
