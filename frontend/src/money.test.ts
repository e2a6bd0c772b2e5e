import { describe, expect, it } from "vitest";
import {
  addDecimals,
  currencyDigits,
  formatDecimal,
  formatMoney,
  formatPercent,
  intlFormatsStringsExactly,
  negate,
  parseDecimal,
  trimZeros,
} from "./money";

// Intl separates a number from a trailing currency sign with a no-break space.
const nbsp = (s: string) => s.replace(/ /g, "\u00a0");

describe.each([
  ["Intl formatting the decimal string", true],
  ["BigInt integer part + fraction text", false],
])("formatMoney — %s", (_name, exactIntl) => {
  const fmt = (amount: string, currency: string, locale: string) => formatMoney(amount, currency, locale, { exactIntl });

  it("formats USD for en-US", () => {
    expect(fmt("6480.00", "USD", "en-US")).toBe("$6,480.00");
    expect(fmt("0.10", "USD", "en-US")).toBe("$0.10");
    expect(fmt("1000000.05", "USD", "en-US")).toBe("$1,000,000.05");
  });

  it("formats EUR for de-DE", () => {
    expect(fmt("6480.00", "EUR", "de-DE")).toBe(nbsp("6.480,00 €"));
    expect(fmt("1234.5", "EUR", "de-DE")).toBe(nbsp("1.234,50 €"));
    expect(fmt("0.01", "EUR", "de-DE")).toBe(nbsp("0,01 €"));
  });

  it("formats JPY without minor digits", () => {
    expect(fmt("1234", "JPY", "ja-JP")).toBe("￥1,234");
    expect(fmt("1234", "JPY", "en-US")).toBe("¥1,234");
    expect(fmt("120000", "JPY", "de-DE")).toBe(nbsp("120.000 ¥"));
  });

  it("keeps three minor digits for BHD and never rounds away digits it was given", () => {
    expect(fmt("12.345", "BHD", "en-US")).toMatch(/12\.345$/);
    expect(fmt("19.995", "USD", "en-US")).toBe("$19.995"); // a unit price with more digits stays exact
  });

  it("is exact far beyond a double's 15–17 significant digits", () => {
    expect(fmt("12345678901234567.89", "USD", "en-US")).toBe("$12,345,678,901,234,567.89");
    expect(fmt("9007199254740993.01", "USD", "en-US")).toBe("$9,007,199,254,740,993.01");
    expect(fmt("0.30", "USD", "en-US")).toBe("$0.30"); // 0.1 + 0.2 never happens here
  });

  it("formats negative amounts, including those under one unit", () => {
    expect(fmt("-648.00", "USD", "en-US")).toBe("-$648.00");
    expect(fmt("-0.50", "USD", "en-US")).toBe("-$0.50");
    expect(fmt("-0.50", "EUR", "de-DE")).toBe(nbsp("-0,50 €"));
    expect(fmt("-0.00", "USD", "en-US")).toBe("$0.00");
  });
});

describe("formatMoney", () => {
  it("uses the exact Intl path on this engine", () => {
    expect(intlFormatsStringsExactly()).toBe(true);
  });

  it("shows the exact text for an unknown currency or a malformed amount", () => {
    expect(formatMoney("12.00", "XXXX", "en-US")).toBe("12.00 XXXX");
    expect(formatMoney("12,00", "USD", "en-US")).toBe("12,00 USD");
  });

  it("knows each currency's minor digits", () => {
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("JPY")).toBe(0);
    expect(currencyDigits("BHD")).toBe(3);
  });
});

describe("decimal helpers", () => {
  it("parses decimal strings and nothing else", () => {
    expect(parseDecimal("-0012.340")).toEqual({ negative: true, integer: "12", fraction: "340" });
    expect(() => parseDecimal("1e3")).toThrow();
    expect(() => parseDecimal("12.")).toThrow();
    expect(() => parseDecimal("NaN")).toThrow();
  });

  it("formats quantities and rates per locale", () => {
    expect(formatDecimal("40", "en-US")).toBe("40");
    expect(formatDecimal("1.50", "en-US")).toBe("1.5");
    expect(formatDecimal("1.5", "de-DE")).toBe("1,5");
    expect(formatDecimal("1234", "en-US")).toBe("1,234");
    expect(formatPercent("8", "en-US")).toBe("8%");
    expect(formatPercent("6.5", "en-US")).toBe("6.5%");
    expect(formatPercent("19", "de-DE")).toBe(nbsp("19 %"));
    expect(trimZeros("8.000")).toBe("8");
  });

  it("adds decimal strings exactly", () => {
    expect(addDecimals(["0.10", "0.20"])).toBe("0.30");
    expect(addDecimals(["6480.00", "3600.00", "239.88", "750.00", "990.00"])).toBe("12059.88");
    expect(addDecimals(["9007199254740993.00", "0.01"])).toBe("9007199254740993.01");
    expect(addDecimals(["1.5", "-2.25"])).toBe("-0.75");
    expect(addDecimals([])).toBe("0");
  });

  it("negates as text", () => {
    expect(negate("648.00")).toBe("-648.00");
    expect(negate("-1.5")).toBe("1.5");
    expect(negate("0.00")).toBe("0.00");
  });
});

describe("no float arithmetic on money", () => {
  // Every module that handles amounts: none may turn an amount into a binary float.
  const sources = import.meta.glob(["./**/*.{ts,tsx}", "!./**/*.test.{ts,tsx}", "!./test/**"], {
    query: "?raw",
    import: "default",
    eager: true,
  }) as Record<string, string>;

  it.each(Object.keys(sources))("%s uses no parseFloat, Number() or unary plus on values", (path) => {
    const code = sources[path].replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
    expect(code).not.toMatch(/parseFloat\s*\(/);
    expect(code).not.toMatch(/\bNumber\s*\(/);
    expect(code).not.toMatch(/\btoFixed\s*\(/);
  });
});
