import { describe, expect, it } from "vitest";

import { parseVisibleJson, visibleText } from "./text";

describe("visibleText", () => {
  it("drops bidi overrides, isolates and zero-width spaces", () => {
    expect(visibleText("\u202Egnp.exe")).toBe("gnp.exe");
    expect(visibleText("Acme\u200B Corp\u2066 Ltd\u2069\uFEFF")).toBe("Acme Corp Ltd");
  });

  it("keeps right-to-left text, direction marks and joiners", () => {
    for (const text of ["شركة النور", "חברת אלפא", "می\u200Cخواهم", "Order (\u200F123\u200F)", "👨\u200D👩\u200D👧"]) {
      expect(visibleText(text)).toBe(text);
    }
  });
});

describe("parseVisibleJson", () => {
  it("cleans every string in an API answer and leaves amounts as they are", () => {
    const body = JSON.stringify({ invoice: { items: [{ description: "\u202Egnp.exe", net_amount: "10.00" }] } });
    const parsed = parseVisibleJson<{ invoice: { items: { description: string; net_amount: string }[] } }>(body);
    expect(parsed.invoice.items[0]).toEqual({ description: "gnp.exe", net_amount: "10.00" });
  });
});
