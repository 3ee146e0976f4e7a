/**
 * The widget's browser script (inlined, hashed in the CSP; no framework, no third-party origin).
 * It adds to the server-rendered form: instant validation, conditional questions, a draft kept in
 * localStorage, the proof-of-work bot check, and sending with retries under one Idempotency-Key so a
 * flaky network never loses or duplicates a submission. Without it the form still posts.
 */
type Dict = Record<string, string>;
/** The page's language, fixed per bundle (scripts/build-client.ts builds one per language). */
declare const __LANG__: "zh" | "en";

const doc = document;
const html = doc.documentElement;
const zh = __LANG__ === "zh";
// `__LANG__` itself, not `zh`, so that esbuild drops the other language's messages from the bundle.
const M: Dict =
  __LANG__ === "zh"
    ? {
        required: "此项为必填项",
        long: "不能超过 {n} 个字",
        phone: "请填写正确的 11 位手机号码",
        email: "请填写正确的电子邮箱",
        contact: "请填写正确的手机号码或电子邮箱",
        fix: "请修改标出的项目后再提交。",
        sending: "正在提交……",
        offline: "网络连接中断。您填写的内容已保存在本机，网络恢复后会自动重新提交。",
        offlineOpen: "网络连接中断。请不要关闭本页，网络恢复后会自动重新提交。",
        retry: "服务器暂时无法处理，正在重试……",
        failed: "提交未成功：",
        count: "已输入 {n} / {m} 字",
        ok: "提交成功",
        code: "您的查询码",
        keep: "请记下查询码，凭它查看办理进度和答复。",
        track: "查看办理进度",
      }
    : {
        required: "This field is required",
        long: "Must be at most {n} characters",
        phone: "Enter a valid 11-digit mainland mobile number",
        email: "Enter a valid e-mail address",
        contact: "Enter a valid mainland mobile number or e-mail address",
        fix: "Please correct the marked fields and submit again.",
        sending: "Sending…",
        offline:
          "You are offline. Your answers are saved on this device and will be sent when the network is back.",
        offlineOpen:
          "You are offline. Keep this page open: your answers will be sent when the network is back.",
        retry: "The server could not take it yet; retrying…",
        failed: "Not sent: ",
        count: "{n} / {m} characters",
        ok: "Sent",
        code: "Your tracking code",
        keep: "Keep this code to follow progress and read the reply.",
        track: "Follow progress",
      };
const fmt = (s: string, p: Dict) => s.replace(/\{(\w+)\}/g, (_, k: string) => p[k] ?? "");

const MOBILE = /^1[3-9]\d{9}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const phoneOf = (s: string) => s.replace(/[\s-]/g, "").replace(/^\+?86(?=1\d{10}$)/, "");

// Resize the host's iframe to the content (embed.js checks our origin before it listens). The root's
// box, not its scrollHeight: that never drops below the frame's height, so the frame could not shrink.
const post = () => {
  if (parent !== window)
    parent.postMessage({ huiyin: "height", height: html.getBoundingClientRect().height }, "*");
};
new ResizeObserver(post).observe(html);
// With the plain <iframe> embed, embed.js may arrive after our first height: it asks once it is there.
addEventListener("message", (e) => {
  if (e.source === parent && e.data?.huiyin === "size?") post();
});

// Large-text mode (适老化), remembered on this device.
const store = {
  get: (k: string) => {
    try {
      return localStorage.getItem(k);
    } catch {
      return null;
    }
  },
  /** False when the browser refuses storage (private mode, or blocked in a third-party frame). */
  set: (k: string, v: string | null) => {
    try {
      v === null ? localStorage.removeItem(k) : localStorage.setItem(k, v);
      return true;
    } catch {
      return false; /* the form still works, but nothing outlives the page */
    }
  },
};
const largeBtn = doc.getElementById("hy-large");
const setLarge = (on: boolean) => {
  html.classList.toggle("large", on);
  if (largeBtn) largeBtn.textContent = on ? largeBtn.dataset.off! : largeBtn.dataset.on!;
  store.set("huiyin:large", on ? "1" : null);
};
// A page asked for in large text (?large=1) keeps it on for the next pages too.
if (store.get("huiyin:large") || html.classList.contains("large")) setLarge(true);
largeBtn?.addEventListener("click", (e) => {
  e.preventDefault();
  setLarge(!html.classList.contains("large"));
});

const form = doc.getElementById("hy-form") as HTMLFormElement | null;
if (form) enhance(form);

function enhance(form: HTMLFormElement) {
  const api = form.dataset.api!;
  const draftKey = `huiyin:draft:${form.dataset.form}`;
  const status = doc.getElementById("hy-status")!;
  const summary = doc.getElementById("hy-summary")!;
  const button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
  const blocks = [...form.querySelectorAll<HTMLElement>(".q")];
  const field = (id: string) => form.querySelector<HTMLElement>(`.q[data-q="${id}"]`)!;
  const inputs = (b: HTMLElement) => [...b.querySelectorAll<HTMLInputElement>("input,textarea")];

  /** The answers as the JSON API wants them, from the visible questions only. */
  const answers = () => {
    const out: Record<string, unknown> = {};
    for (const b of blocks) {
      if (b.hidden) continue;
      const els = inputs(b);
      const first = els[0];
      if (!first) continue;
      const id = b.dataset.q!;
      if (b.querySelector(".consent")) out[id] = first.checked;
      else if (first.type === "checkbox") out[id] = els.filter((e) => e.checked).map((e) => e.value);
      else if (first.type === "radio") {
        const c = els.find((e) => e.checked);
        if (c) out[id] = b.querySelector(".rating") ? Number(c.value) : c.value;
      } else if (first.value.trim()) out[id] = first.value;
    }
    return out;
  };

  const chosenOf = (id: string): string[] => {
    const b = field(id);
    return b
      ? inputs(b)
          .filter((e) => (e.type === "radio" || e.type === "checkbox" ? e.checked : e.value))
          .map((e) => e.value)
      : [];
  };

  const applyConditions = () => {
    for (const b of blocks) {
      const raw = b.dataset.showIf;
      if (!raw) continue;
      const cond = JSON.parse(raw) as { q: string; v: string[] };
      const on = chosenOf(cond.q).some((x) => cond.v.includes(x));
      b.hidden = !on || field(cond.q).hidden;
    }
  };

  const setError = (b: HTMLElement, msg: string) => {
    const err = b.querySelector<HTMLElement>(".err")!;
    err.textContent = msg;
    err.hidden = !msg;
    const target = b.querySelector("fieldset") ?? inputs(b)[0];
    if (msg) target?.setAttribute("aria-invalid", "true");
    else target?.removeAttribute("aria-invalid");
  };

  /** Mirrors the server's rules (forms/compile.ts) for instant feedback; the server stays the judge. */
  const check = (b: HTMLElement): string => {
    if (b.hidden) return "";
    const els = inputs(b);
    const first = els[0]!;
    const required = els.some((e) => e.required);
    if (first.type === "radio" || first.type === "checkbox") {
      return required && !els.some((e) => e.checked) ? M.required! : "";
    }
    const v = first.value.trim();
    if (!v) return required ? M.required! : "";
    const max = Number(first.getAttribute("maxlength"));
    if (max && [...v].length > max) return fmt(M.long!, { n: String(max) });
    const type = first.dataset.type;
    if (type === "phone" && !MOBILE.test(phoneOf(v))) return M.phone!;
    if (type === "email" && !EMAIL.test(v)) return M.email!;
    if (type === "contact" && !(v.includes("@") ? EMAIL.test(v) : MOBILE.test(phoneOf(v)))) return M.contact!;
    return "";
  };

  const counters = () => {
    for (const p of form.querySelectorAll<HTMLElement>("[data-count-for]")) {
      const ta = doc.getElementById(p.dataset.countFor!) as HTMLTextAreaElement;
      const text = fmt(M.count!, { n: String([...ta.value].length), m: ta.getAttribute("maxlength")! });
      // Unchanged text is not written again: the count is a live region.
      if (p.textContent !== text) p.textContent = text;
    }
  };

  // Draft: restored on load, saved as the citizen types, removed once the submission is stored.
  // `pending`: a send the network interrupted, resumed when the page comes back.
  type Draft = { values: [string, string][]; key?: string; sent?: string; pending?: boolean };
  let draft: Draft = { values: [] };
  const stored = store.get(draftKey);
  if (stored) {
    try {
      draft = JSON.parse(stored) as Draft;
      for (const [name, value] of draft.values) {
        for (const el of form.querySelectorAll<HTMLInputElement>(`[name="${CSS.escape(name)}"]`)) {
          if (el.type === "radio" || el.type === "checkbox") el.checked = el.checked || el.value === value;
          else if (el.type !== "hidden") el.value = value;
        }
      }
    } catch {
      draft = { values: [] };
    }
  }
  let kept = false;
  const save = () => {
    draft.values = [...new FormData(form)]
      .filter(([k]) => !k.startsWith("_"))
      .map(([k, v]) => [k, String(v)]);
    kept = store.set(draftKey, JSON.stringify(draft));
  };

  form.addEventListener("input", (e) => {
    applyConditions();
    counters();
    save();
    const b = (e.target as HTMLElement).closest<HTMLElement>(".q");
    if (b?.querySelector("[aria-invalid]")) setError(b, check(b));
  });
  // A press on Submit must not move it: an error shown by the blur it causes would push the button
  // away before the click lands, and the press would be lost. The submit checks every field anyway.
  let pressing = false;
  form.addEventListener("pointerdown", (e) => {
    pressing = button.contains(e.target as Node);
  });
  form.addEventListener("focusout", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>(".q");
    if (!pressing && b && !b.contains(e.relatedTarget as Node | null)) setError(b, check(b));
  });
  // The page arrives with the conditions and counters of its own values; a restored draft (or the
  // browser's own restoring of a reloaded form) may change them.
  applyConditions();
  counters();

  // Proof of work (ALTCHA protocol): find n with SHA-256(salt + n) = challenge.
  let pow: Promise<string> | null = null;
  const solve = async (): Promise<string> => {
    const c = (await (await fetch("/api/v1/challenge")).json()) as {
      algorithm: string;
      challenge: string;
      salt: string;
      signature: string;
      maxnumber: number;
    };
    const enc = new TextEncoder();
    for (let n = 0; n <= c.maxnumber; n++) {
      const d = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(c.salt + n)));
      let hex = "";
      for (const x of d) hex += x.toString(16).padStart(2, "0");
      if (hex === c.challenge) {
        return btoa(
          JSON.stringify({
            algorithm: c.algorithm,
            challenge: c.challenge,
            number: n,
            salt: c.salt,
            signature: c.signature,
          }),
        );
      }
    }
    throw new Error("unsolved");
  };
  const botToken = (): Promise<string | undefined> => {
    const mode = form.dataset.bot;
    if (mode === "altcha") {
      pow ??= solve();
      return pow;
    }
    if (mode === "turnstile") {
      return Promise.resolve(form.querySelector<HTMLInputElement>("[name=cf-turnstile-response]")?.value);
    }
    return Promise.resolve(undefined);
  };
  if (form.dataset.bot === "altcha")
    form.addEventListener(
      "focusin",
      () => {
        botToken().catch(() => {
          pow = null;
        });
      },
      { once: true },
    );

  let delay = 1000;
  let busy = false;
  const send = async (retry = false): Promise<void> => {
    const body = answers();
    const sent = JSON.stringify(body);
    // One key per content: a retry of the same answers reuses it, changed answers get a new one.
    if (!draft.key || draft.sent !== sent) {
      draft.key = crypto.randomUUID();
      draft.sent = sent;
      save();
    }
    // A retry leaves the status as it is, so a screen reader is not told the same thing every few seconds.
    if (!retry) status.textContent = M.sending!;
    let res: Response;
    try {
      const bot = await botToken();
      res = await fetch(api, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": draft.key },
        body: JSON.stringify({ answers: body, lang: zh ? "zh-CN" : "en", botCheck: bot }),
      });
    } catch {
      pow = null;
      // Say "saved on this device" only if it is: a browser may refuse storage to the embedded frame.
      status.textContent = kept ? M.offline! : M.offlineOpen!;
      return later();
    }
    const data = (await res.json().catch(() => ({}))) as {
      trackingCode?: string;
      trackUrl?: string;
      error?: {
        code: string;
        message: string;
        messageEn: string;
        issues?: { path: string; message: string; messageEn: string }[];
      };
    };
    if (res.ok && data.trackingCode) return done(data.trackingCode, data.trackUrl!);
    if (res.status >= 500 || res.status === 409 || res.status === 429) {
      status.textContent = M.retry!;
      return later();
    }
    pow = null;
    const err = data.error;
    if (err?.code === "bot_check_failed" && delay < 8000) {
      delay *= 2;
      return send();
    }
    busy = false;
    button.disabled = false;
    draft.pending = false;
    save();
    let focused = false;
    for (const issue of err?.issues ?? []) {
      const b = field(issue.path.replace(/^answers\./, "").split(".")[0]!);
      if (!b) continue;
      setError(b, zh ? issue.message : issue.messageEn);
      if (!focused) (b.querySelector("input,textarea") as HTMLElement).focus();
      focused = true;
    }
    status.textContent = M.failed! + (err ? (zh ? err.message : err.messageEn) : res.status);
  };

  let timer = 0;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => send(true), delay) as unknown as number;
    delay = Math.min(delay * 2, 30_000);
  };
  addEventListener("online", () => {
    if (busy) {
      status.textContent = M.sending!;
      delay = 1000;
      later();
    }
  });

  const done = (code: string, url: string) => {
    store.set(draftKey, null);
    const box = doc.createElement("div");
    box.className = "receipt";
    box.setAttribute("role", "status");
    const h = doc.createElement("h2");
    h.textContent = M.ok!;
    h.tabIndex = -1;
    const p1 = doc.createElement("p");
    p1.textContent = M.code!;
    const c = doc.createElement("p");
    c.className = "code";
    c.textContent = code.match(/.{1,4}/g)!.join("-");
    const p2 = doc.createElement("p");
    p2.textContent = M.keep!;
    const a = doc.createElement("a");
    const q = [zh ? "" : "lang=en", html.classList.contains("large") ? "large=1" : ""].filter(Boolean);
    a.href = q.length ? `${url}?${q.join("&")}` : url;
    a.textContent = M.track!;
    box.append(h, p1, c, p2, a);
    form.replaceWith(box);
    h.focus();
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    pressing = false;
    if (busy) return;
    let first: HTMLElement | null = null;
    for (const b of blocks) {
      const msg = check(b);
      setError(b, msg);
      if (msg && !first) first = b;
    }
    summary.textContent = first ? M.fix! : "";
    summary.hidden = !first;
    if (first) {
      (first.querySelector("input,textarea") as HTMLElement).focus();
      return;
    }
    busy = true;
    button.disabled = true;
    delay = 1000;
    draft.pending = true;
    save();
    void send();
  });

  // The network took a send away and the page was then closed or reloaded: the citizen was told it
  // would go once the network is back, so it goes now, under the same key (same answers, same key).
  if (draft.pending && draft.sent === JSON.stringify(answers())) {
    busy = true;
    button.disabled = true;
    void send();
  }
}
