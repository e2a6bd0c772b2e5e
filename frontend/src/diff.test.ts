import { describe, expect, it } from "vitest";
import { changedParts } from "./diff";
import { acmeInvoice, withTravel } from "./test/fixtures";

describe("changedParts", () => {
  it("finds a new line and the totals it moved", () => {
    const parts = changedParts(acmeInvoice(), withTravel());
    expect([...parts].sort()).toEqual(["item:1", "subtotal", "tax", "total"]);
  });

  it("finds a buyer change", () => {
    const parts = changedParts(acmeInvoice(), acmeInvoice({ buyer: { name: "Acme Corp", email: "ap@acme.com" } }));
    expect([...parts]).toEqual(["buyer"]);
  });

  it("does not flash a whole new invoice or the first one", () => {
    expect(changedParts(null, acmeInvoice()).size).toBe(0);
    expect(changedParts(acmeInvoice(), acmeInvoice({ number: "INV-0002" })).size).toBe(0);
  });
});
