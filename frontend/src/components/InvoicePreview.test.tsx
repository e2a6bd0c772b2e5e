import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { acmeInvoice, withTravel } from "../test/fixtures";
import { InvoicePreview } from "./InvoicePreview";

const nbsp = (s: string) => s.replace(/ /g, "\u00a0");

describe("InvoicePreview", () => {
  it("shows number, dates, parties, lines, tax breakdown and totals", () => {
    render(
      <InvoicePreview
        locale="en-US"
        invoice={acmeInvoice({
          seller: { name: "Northwind Studio", address: "1 Main St, Springfield", tax_id: "US-123" },
          buyer: { name: "Acme Corp", email: "ap@acme.com" },
          discount: { kind: "percent", value: "10" },
          discount_total: "600.00",
          notes: "Thank you for your business.",
          payment_terms: "Net 30",
        })}
      />,
    );
    const sheet = screen.getByTestId("invoice");
    expect(screen.getByTestId("invoice-number")).toHaveTextContent("INV-0001");
    expect(sheet).toHaveTextContent("Nov 24, 2026");
    expect(sheet).toHaveTextContent("Dec 24, 2026");
    expect(sheet).toHaveTextContent("Northwind Studio");
    expect(sheet).toHaveTextContent("Tax ID US-123");
    expect(sheet).toHaveTextContent("ap@acme.com");
    const line = screen.getByTestId("line-item");
    expect(line).toHaveTextContent("Consulting");
    expect(line).toHaveTextContent("40 hours");
    expect(line).toHaveTextContent("$150.00");
    expect(line).toHaveTextContent("8%");
    expect(line).toHaveTextContent("$6,000.00");
    const totals = screen.getByTestId("totals");
    expect(totals).toHaveTextContent("Subtotal$6,000.00");
    expect(totals).toHaveTextContent("Discount (10%)-$600.00");
    expect(totals).toHaveTextContent("Tax 8% on $6,000.00$480.00");
    expect(screen.getByTestId("invoice-total")).toHaveTextContent("$6,480.00");
    expect(sheet).toHaveTextContent("Thank you for your business.");
    expect(sheet).toHaveTextContent("Net 30");
  });

  it("formats for the user's locale and the invoice's currency", () => {
    render(<InvoicePreview locale="de-DE" invoice={acmeInvoice({ currency: "EUR" })} />);
    expect(screen.getByTestId("invoice-total").textContent).toBe(nbsp("6.480,00 €"));
    expect(screen.getByTestId("invoice")).toHaveTextContent("24.12.2026");
  });

  it("shows a yen invoice without minor digits", () => {
    render(
      <InvoicePreview
        locale="ja-JP"
        invoice={acmeInvoice({
          currency: "JPY",
          items: [{ description: "Design", quantity: "1", unit: null, unit_price: "50000", tax_rate: "10", discount_percent: "0", net_amount: "50000" }],
          subtotal: "50000",
          tax_total: "5000",
          total: "55000",
          tax_breakdown: [{ rate: "10", base: "50000", tax: "5000" }],
        })}
      />,
    );
    expect(screen.getByTestId("invoice-total")).toHaveTextContent("￥55,000");
  });

  it("highlights what changed, and not the first invoice", () => {
    const { rerender } = render(<InvoicePreview locale="en-US" invoice={acmeInvoice()} />);
    expect(document.querySelectorAll(".changed")).toHaveLength(0);
    rerender(<InvoicePreview locale="en-US" invoice={withTravel()} />);
    expect(screen.getAllByTestId("line-item")[1]).toHaveClass("changed");
    expect(screen.getByTestId("invoice-total").closest(".grand-total")).toHaveClass("changed");
  });

  it("invites a description before the first invoice", () => {
    render(<InvoicePreview locale="en-US" invoice={null} />);
    expect(screen.getByRole("heading", { name: "Your invoice will appear here" })).toBeInTheDocument();
  });
});
