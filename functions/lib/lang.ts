import type { Lang } from "../../forms/language.ts";

/** `?lang=en|zh-CN` wins; then the first of Accept-Language that we speak; zh-CN by default. */
export function pickLang(query: string | undefined, acceptLanguage: string | undefined): Lang {
  if (query === "en" || query === "zh-CN") return query;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(",")
      .map((part) => {
        const [tag, ...params] = part.trim().split(";");
        const q = params.find((p) => p.trim().startsWith("q="));
        return { tag: (tag ?? "").toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
      })
      .filter((x) => x.tag && x.q > 0)
      .sort((a, b) => b.q - a.q);
    for (const { tag } of ranked) {
      if (tag.startsWith("zh")) return "zh-CN";
      if (tag.startsWith("en")) return "en";
    }
  }
  return "zh-CN";
}
