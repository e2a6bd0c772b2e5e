// Text safe to show: the same rule as the server's core/text.py. Bidi embeddings, overrides
// and isolates (U+202A–U+202E, U+2066–U+2069) and zero-width spaces (U+200B, U+2060, U+FEFF)
// can make "\u202Egnp.exe" read "exe.png"; right-to-left text needs none of them. Direction
// marks (LRM, RLM, ALM) and ZWNJ/ZWJ (Persian, Indic scripts, emoji) are kept.

const INVISIBLE_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200B\u2060\uFEFF]/g;

export function visibleText(text: string): string {
  return text.replace(INVISIBLE_CONTROLS, "");
}

/** JSON.parse that neutralises every string it reads (keys and amounts are unaffected). */
export function parseVisibleJson<T>(body: string): T {
  return JSON.parse(body, (_key, value: unknown) => (typeof value === "string" ? visibleText(value) : value)) as T;
}
