import { describe, expect, it } from "vitest";
import { missingFields, suggestionText } from "./einvoice";

describe("missingFields", () => {
  it("reads the server's terms and suggests the message that adds each", () => {
    const missing = missingFields({
      missing: [
        { field: "seller.address", term: "BT-40", message: "the seller's country" },
        { field: "seller.tax_id", term: "BT-31", message: "the seller's VAT number" },
        { field: "buyer.address", term: "BT-55", message: "the buyer's country" },
      ],
    });
    expect(missing).toEqual([
      { label: "The seller's country", term: "BT-40", suggestion: "our address is " },
      { label: "The seller's VAT number", term: "BT-31", suggestion: "our VAT number is " },
      { label: "The buyer's country", term: "BT-55", suggestion: "client address is " },
    ]);
  });

  it("understands plain strings too", () => {
    expect(missingFields({ missing: ["buyer VAT identifier", "payment due date"] })).toEqual([
      { label: "Buyer VAT identifier", term: null, suggestion: "client VAT number is " },
      { label: "Payment due date", term: null, suggestion: "due in 30 days" },
    ]);
  });

  it("prefers a suggestion the server gives", () => {
    expect(missingFields({ missing: [{ message: "x", suggestion: "say this" }] })[0].suggestion).toBe("say this");
  });

  it("shows an open suggestion with an ellipsis", () => {
    expect(suggestionText("our VAT number is ")).toBe("our VAT number is …");
    expect(suggestionText("due in 30 days")).toBe("due in 30 days");
  });
});
