/**
 * The widget renderer: a form definition becomes server-rendered HTML that works with JavaScript
 * off (a plain POST) and that the widget script enhances. hono/jsx escapes every text it renders.
 */
import type { FC } from "hono/jsx";
import { DEFAULT_MAX_LENGTH } from "./compile.ts";
import { type FormDefinition, isShown, type Lang, type Question, t } from "./language.ts";

export interface RenderState {
  /** Previously entered values (after a failed no-JS post). */
  values?: Record<string, unknown>;
  /** Error messages by question id, already in the page's language. */
  errors?: Record<string, string>;
}

const UI = {
  required: { "zh-CN": "必填", en: "required" },
  optional: { "zh-CN": "选填", en: "optional" },
  submit: { "zh-CN": "提交", en: "Submit" },
  fix: { "zh-CN": "请修改标出的项目后再提交。", en: "Please correct the marked fields and submit again." },
} as const;

function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return v === undefined || v === null || v === "" ? [] : [String(v)];
}

const Field: FC<{ q: Question; lang: Lang; state: RenderState }> = ({ q, lang, state }) => {
  const id = `q-${q.id}`;
  const value = state.values?.[q.id];
  const error = state.errors?.[q.id];
  const hidden = !isShown(q, state.values ?? {});
  const described = [q.help ? `${id}-help` : "", `${id}-err`].filter(Boolean).join(" ");
  const mark =
    q.type === "consent" ? null : (
      <span class="req">
        {lang === "en"
          ? ` (${t(q.required ? UI.required : UI.optional, lang)})`
          : `（${t(q.required ? UI.required : UI.optional, lang)}）`}
      </span>
    );
  const help = q.help ? (
    <p class="help" id={`${id}-help`}>
      {t(q.help, lang)}
    </p>
  ) : null;
  const err = (
    <p class="err" id={`${id}-err`} role="alert" hidden={!error}>
      {error ?? ""}
    </p>
  );
  const common = {
    "aria-describedby": described,
    "aria-invalid": error ? "true" : undefined,
  };
  const showIf = q.showIf
    ? JSON.stringify({ q: q.showIf.question, v: q.showIf.in ?? [String(q.showIf.equals)] })
    : undefined;
  const wrap = (inner: unknown) => (
    <div class="q" data-q={q.id} data-show-if={showIf} hidden={hidden}>
      {inner}
    </div>
  );

  if (q.type === "single" || q.type === "multiple" || q.type === "rating") {
    const choices =
      q.type === "rating"
        ? Array.from({ length: q.scale ?? 5 }, (_, i) => ({ value: String(i + 1), label: String(i + 1) }))
        : q.options!.map((o) => ({ value: o.value, label: t(o.label, lang) }));
    const chosen = asList(value);
    const kind = q.type === "multiple" ? "checkbox" : "radio";
    return wrap(
      <fieldset {...common} class={q.type === "rating" ? "choices rating" : "choices"}>
        <legend>
          {t(q.label, lang)}
          {mark}
        </legend>
        {help}
        {choices.map((o, i) => (
          <label class="choice">
            <input
              type={kind}
              name={q.id}
              value={o.value}
              checked={chosen.includes(o.value)}
              required={kind === "radio" && q.required && i === 0 && !hidden ? true : undefined}
            />
            <span>{o.label}</span>
          </label>
        ))}
        {err}
      </fieldset>,
    );
  }
  if (q.type === "consent") {
    return wrap(
      <>
        <label class="choice consent">
          <input
            type="checkbox"
            name={q.id}
            id={id}
            {...common}
            checked={value === true}
            required={q.required || undefined}
          />
          <span>{t(q.label, lang)}</span>
        </label>
        {help}
        {err}
      </>,
    );
  }
  const text = value === undefined ? "" : String(value);
  const max =
    q.type === "text" || q.type === "textarea" ? (q.maxLength ?? DEFAULT_MAX_LENGTH[q.type]) : undefined;
  const input =
    q.type === "textarea" ? (
      <textarea id={id} name={q.id} rows={6} maxlength={max} required={q.required || undefined} {...common}>
        {text}
      </textarea>
    ) : (
      <input
        id={id}
        name={q.id}
        value={text}
        type={q.type === "email" ? "email" : q.type === "phone" ? "tel" : "text"}
        inputmode={q.type === "phone" ? "numeric" : undefined}
        autocomplete={
          q.type === "phone" ? "tel" : q.type === "email" ? "email" : q.role === "name" ? "name" : "off"
        }
        maxlength={max ?? (q.type === "phone" ? 20 : 254)}
        required={q.required || undefined}
        data-type={q.type}
        {...common}
      />
    );
  return wrap(
    <>
      <label for={id}>
        {t(q.label, lang)}
        {mark}
      </label>
      {help}
      {input}
      {max && q.type === "textarea" ? (
        // Rendered here, not by the script at start: nothing to write before the first paint, and no
        // live-region announcement on load. The script keeps it current as the citizen types.
        <p class="count" aria-live="polite" data-count-for={id}>
          {characterCount(lang, [...text].length, max)}
        </p>
      ) : null}
      {err}
    </>,
  );
};

/** "已输入 n / m 字": the same words as the widget script's `count` message (forms/widget/client.ts). */
export function characterCount(lang: Lang, n: number, max: number): string {
  return lang === "en" ? `${n} / ${max} characters` : `已输入 ${n} / ${max} 字`;
}

export interface FormViewProps {
  def: FormDefinition;
  lang: Lang;
  action: string;
  state: RenderState;
  /** Hidden fields the widget needs (idempotency key, language, no-JS bot token). */
  hiddenFields: Record<string, string>;
  /** The JSON endpoint the widget script posts to. */
  api: string;
  /** The bot-check mode the widget script must satisfy: "altcha", "turnstile" or "off". */
  bot: string;
}

/** The whole form: questions, privacy notice, submit button. */
export const FormView: FC<FormViewProps> = ({ def, lang, action, state, hiddenFields, api, bot }) => {
  const hasErrors = state.errors && Object.keys(state.errors).length > 0;
  return (
    <form
      method="post"
      action={action}
      novalidate
      id="hy-form"
      data-form={`${def.dept}/${def.slug}`}
      data-api={api}
      data-bot={bot}
    >
      <p class="err summary" role="alert" id="hy-summary" hidden={!hasErrors}>
        {hasErrors ? t(UI.fix, lang) : ""}
      </p>
      {Object.entries(hiddenFields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      {def.questions.map((q) => (
        <Field q={q} lang={lang} state={state} />
      ))}
      {def.privacyNotice ? <p class="notice">{t(def.privacyNotice, lang)}</p> : null}
      <button type="submit" class="primary">
        {t(UI.submit, lang)}
      </button>
      <p class="status" id="hy-status" role="status" aria-live="polite" />
    </form>
  );
};
