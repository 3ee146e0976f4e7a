/**
 * Headless Chromium as a mid-range phone: 390×844, CPU slowed 4× and optionally slow 4G, cold cache.
 *
 * Site isolation is switched off so that a cross-origin iframe shares the host page's renderer, as on
 * Android Chrome (which isolates only sites with logins): the CPU throttle and the network emulation
 * set on the page's DevTools session then apply to the iframe too.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../../lib/chromium.ts";

export function launch(): Promise<Browser> {
  return launchChromium([
    "--disable-site-isolation-trials",
    // Also no top-chrome WebUI preloading (omnibox popup): it competes for the CPU while we measure.
    "--disable-features=IsolateOrigins,site-per-process,PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup",
    // localhost → IPv4 only, so that connection attempts do not first try ::1.
    "--host-resolver-rules=MAP localhost 127.0.0.1",
  ]);
}

/** A fresh context: empty HTTP cache, no cookies, no sockets shared with earlier runs. */
export function phoneContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
}

export interface Throttle {
  cpu: number;
  /** Slow 4G: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up. */
  slow4g: boolean;
}

export const SLOW_4G = { latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 } as const;

export async function throttle(page: Page, t: Throttle): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: t.cpu });
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  if (t.slow4g) await cdp.send("Network.emulateNetworkConditions", { offline: false, ...SLOW_4G });
}
