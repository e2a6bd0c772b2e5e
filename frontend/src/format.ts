// Dates, token counts and the user's locale. Money lives in money.ts.

/** The user's locale: the browser's first preferred language. */
export function userLocale(): string {
  const candidates = typeof navigator !== "undefined" ? [...(navigator.languages ?? []), navigator.language] : [];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return Intl.getCanonicalLocales(candidate)[0];
    } catch {
      // not a valid tag: try the next one
    }
  }
  return "en-US";
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "2026-12-24" -> "Dec 24, 2026" (en-US), "24.12.2026" (de-DE). A calendar date: no time zone shift. */
export function formatDate(iso: string | null | undefined, locale: string): string {
  if (!iso) return "";
  const match = ISO_DATE.exec(iso);
  if (!match) return iso;
  const utc = Date.UTC(parseInt(match[1], 10), parseInt(match[2], 10) - 1, parseInt(match[3], 10));
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(utc);
  } catch {
    return iso;
  }
}

/** 1234 -> "1,234"; 200000 -> "200k" (a round limit is shown short, as on the meter). */
export function formatTokens(count: number, locale = "en-US", short = false): string {
  if (short && count >= 1000 && count % 1000 === 0) {
    return `${new Intl.NumberFormat(locale).format(count / 1000)}k`;
  }
  return new Intl.NumberFormat(locale).format(count);
}

// English units that take a plain "s": "40 hour" reads "40 hours". Anything else is shown as sent.
const PLURAL_S = new Set([
  "hour", "day", "week", "month", "year", "night", "item", "unit", "piece", "page", "word",
  "license", "licence", "seat", "user", "session", "visit", "widget", "workshop", "call", "meeting",
]);

/** The unit as it reads after the quantity: ("hour", "40") -> "hours" in English. */
export function unitLabel(unit: string, quantity: string, locale: string): string {
  const singular = /^[+]?0*1(\.0*)?$/.test(quantity.trim());
  if (!singular && locale.toLowerCase().startsWith("en") && PLURAL_S.has(unit.toLowerCase())) return `${unit}s`;
  return unit;
}
