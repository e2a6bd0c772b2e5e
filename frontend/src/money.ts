// Formatting decimal strings for people, exactly. The API sends every amount as a decimal
// string ("6480.00"); nothing here turns one into a binary float. Intl.NumberFormat formats a
// string as an exact decimal (ECMA-402 NumberFormat v3); where an engine lacks that, the
// integer part goes through BigInt and the fraction digits are copied over as text.

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

export interface ParsedDecimal {
  negative: boolean;
  integer: string; // digits, no leading zeros except "0"
  fraction: string; // digits, possibly empty
}

/** Splits "-1234.50" into sign, integer digits and fraction digits. Throws on anything else. */
export function parseDecimal(value: string): ParsedDecimal {
  const match = DECIMAL_RE.exec(value.trim());
  if (!match) throw new Error(`not a decimal string: ${JSON.stringify(value)}`);
  const integer = match[2].replace(/^0+(?=\d)/, "");
  const fraction = match[3] ?? "";
  const zero = /^0*$/.test(integer + fraction);
  return { negative: match[1] === "-" && !zero, integer, fraction };
}

function canonical(d: ParsedDecimal): string {
  return `${d.negative ? "-" : ""}${d.integer}${d.fraction ? `.${d.fraction}` : ""}`;
}

let exactStrings: boolean | undefined;

/** Whether this engine's Intl.NumberFormat formats decimal strings without going through a double. */
export function intlFormatsStringsExactly(): boolean {
  if (exactStrings === undefined) {
    try {
      const nf = new Intl.NumberFormat("en-US", { useGrouping: false, maximumFractionDigits: 20 });
      // 2^53 + 1 and a fraction a double cannot hold: only an exact formatter keeps both.
      exactStrings =
        nf.format("9007199254740993" as unknown as number) === "9007199254740993" &&
        nf.format("0.10000000000000000001" as unknown as number) === "0.10000000000000000001";
    } catch {
      exactStrings = false;
    }
  }
  return exactStrings;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let nf = formatters.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale, options);
    formatters.set(key, nf);
  }
  return nf;
}

/** The number of minor digits a currency is shown with in this locale (USD 2, JPY 0, BHD 3). */
export function currencyDigits(currency: string, locale = "en-US"): number {
  try {
    return formatter(locale, { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * Formats an exact decimal with `options`, never rounding: at least `minFraction` fraction
 * digits are shown, and every digit the value carries.
 */
function formatExact(
  value: string,
  locale: string,
  options: Intl.NumberFormatOptions,
  minFraction: number,
  useIntlStrings: boolean,
): string {
  const d = parseDecimal(value);
  const digits = Math.max(minFraction, d.fraction.length);
  const opts = { ...options, minimumFractionDigits: digits, maximumFractionDigits: digits };
  if (useIntlStrings) {
    return formatter(locale, opts).format(canonical(d) as unknown as number);
  }
  return formatWithBigInt(d, locale, opts, digits);
}

/**
 * The fallback: Intl formats the integer part as a BigInt (exact at any size), and the
 * fraction digits are appended after the locale's decimal separator.
 */
function formatWithBigInt(
  d: ParsedDecimal,
  locale: string,
  options: Intl.NumberFormatOptions,
  digits: number,
): string {
  const integerOnly = { ...options, minimumFractionDigits: 0, maximumFractionDigits: 0 };
  const integer = BigInt(d.integer);
  // A negative zero integer ("-0.50") cannot be a BigInt: format -1 and swap the digits.
  const parts = formatter(locale, integerOnly).formatToParts(
    (d.negative ? -(integer === 0n ? 1n : integer) : integer) as unknown as number,
  );
  const decimal =
    formatter(locale, { minimumFractionDigits: 1 })
      .formatToParts(0.5)
      .find((p) => p.type === "decimal")?.value ?? ".";
  const fraction = d.fraction.padEnd(digits, "0");
  let out = "";
  let lastInteger = -1;
  parts.forEach((p, i) => {
    if (p.type === "integer" || p.type === "group") lastInteger = i;
  });
  parts.forEach((p, i) => {
    out += d.negative && integer === 0n && p.type === "integer" ? "0" : p.value;
    if (i === lastInteger && digits > 0) out += decimal + fraction;
  });
  return out;
}

export interface FormatOptions {
  /** Force the BigInt path (tests), or the Intl string path; default: detect. */
  exactIntl?: boolean;
}

/** "6480.00", "USD", "en-US" -> "$6,480.00"; "1234.5", "EUR", "de-DE" -> "1.234,50 €". */
export function formatMoney(
  amount: string,
  currency: string,
  locale: string,
  opts: FormatOptions = {},
): string {
  const useIntl = opts.exactIntl ?? intlFormatsStringsExactly();
  try {
    return formatExact(
      amount,
      locale,
      { style: "currency", currency },
      currencyDigits(currency, locale),
      useIntl,
    );
  } catch {
    return `${amount} ${currency}`; // an unknown currency or locale: the exact text, never a guess
  }
}

/** A quantity or a rate: "40" -> "40", "1.5" -> "1.5" (de-DE: "1,5"), "1234" -> "1,234". */
export function formatDecimal(value: string, locale: string, opts: FormatOptions = {}): string {
  const useIntl = opts.exactIntl ?? intlFormatsStringsExactly();
  try {
    const trimmed = trimZeros(value);
    return formatExact(trimmed, locale, { style: "decimal" }, 0, useIntl);
  } catch {
    return value;
  }
}

/** "8" -> "8%", "6.5" -> "6.5%" (de-DE: "6,5 %"). The rate is already in percent. */
export function formatPercent(value: string, locale: string, opts: FormatOptions = {}): string {
  const number = formatDecimal(value, locale, opts);
  try {
    // The locale's percent pattern, learnt from a template with a placeholder number.
    const template = formatter(locale, { style: "percent" }).format(0.07);
    const seven = formatter(locale, { style: "decimal" }).format(7);
    return template.replace(seven, number);
  } catch {
    return `${number}%`;
  }
}

/** Drops trailing fraction zeros: "8.000" -> "8", "6.50" -> "6.5". */
export function trimZeros(value: string): string {
  const d = parseDecimal(value);
  const fraction = d.fraction.replace(/0+$/, "");
  return canonical({ ...d, fraction });
}

/** Adds decimal strings exactly (BigInt on scaled integers): for batch sums per currency. */
export function addDecimals(values: string[]): string {
  const parsed = values.map(parseDecimal);
  const scale = Math.max(0, ...parsed.map((d) => d.fraction.length));
  let sum = 0n;
  for (const d of parsed) {
    const scaled = BigInt(d.integer + d.fraction.padEnd(scale, "0"));
    sum += d.negative ? -scaled : scaled;
  }
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, "0");
  const integer = digits.slice(0, digits.length - scale);
  const fraction = scale ? digits.slice(digits.length - scale) : "";
  return canonical({ negative, integer, fraction });
}

/** Whether a decimal string is zero ("0", "0.00"). */
export function isZero(value: string | null | undefined): boolean {
  if (value == null) return true;
  try {
    const d = parseDecimal(value);
    return /^0*$/.test(d.integer + d.fraction);
  } catch {
    return false;
  }
}

/** The negation of a decimal string, as text: "648.00" -> "-648.00". */
export function negate(value: string): string {
  const d = parseDecimal(value);
  return canonical({ ...d, negative: !d.negative && !isZero(value) });
}
