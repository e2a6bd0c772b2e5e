import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { acmeInvoice } from "../test/fixtures";
import { issued } from "../test/records";
import { InvoicePreview } from "./InvoicePreview";

const nbsp = (s: string) => s.replace(/ /g, "\u00a0");

describe("InvoicePreview: drafts, issued invoices and e-invoice fields", () => {
  it("a draft says Draft where the number goes, even with a provisional number", () => {
    render(<InvoicePreview locale="en-US" invoice={acmeInvoice({ number: null, status: "draft" })} />);
    expect(screen.getByTestId("invoice-number")).toHaveTextContent("Draft");
    expect(screen.getByTestId("invoice-status")).toHaveTextContent("Draft");
    expect(screen.getByTestId("invoice")).toHaveAttribute("data-status", "draft");
    expect(screen.getByTestId("invoice")).toHaveTextContent("Draft — not issued yet");
    render(<InvoicePreview locale="en-US" invoice={acmeInvoice({ number: "INV-0003", status: "draft" })} />);
    expect(screen.getAllByTestId("invoice-number")[1]).toHaveTextContent("Draft");
  });

  it("an issued, a paid invoice and a credit note show their number and status", () => {
    const { rerender } = render(<InvoicePreview locale="en-US" invoice={issued()} />);
    expect(screen.getByTestId("invoice-number")).toHaveTextContent("2026-0007");
    expect(screen.getByTestId("invoice-status")).toHaveTextContent("Issued");
    rerender(<InvoicePreview locale="en-US" invoice={issued({ status: "paid" })} />);
    expect(screen.getByTestId("invoice-status")).toHaveTextContent("Paid");
    rerender(
      <InvoicePreview
        locale="en-US"
        invoice={issued({ number: "CN-2026-0001", type: "credit_note", preceding_invoice: { number: "2026-0007", issue_date: "2026-11-24" } })}
      />,
    );
    expect(screen.getByRole("heading", { level: 2 })).toHaveTextContent("Credit note");
    expect(screen.getByTestId("invoice")).toHaveTextContent("Credits invoice2026-0007");
  });

  it("the profile's seller stands in while the draft names none, marked as such", () => {
    const { rerender } = render(
      <InvoicePreview locale="en-US" invoice={acmeInvoice({ seller: null, status: "draft" })} profileSeller={{ name: "Northwind Studio", tax_id: "DE811907980" }} />,
    );
    const from = screen.getByRole("group", { name: "From" });
    expect(from).toHaveTextContent("Northwind Studio");
    expect(screen.getByText("From your profile")).toBeInTheDocument();
    rerender(
      <InvoicePreview locale="en-US" invoice={acmeInvoice({ seller: { name: "Other Ltd" }, status: "draft" })} profileSeller={{ name: "Northwind Studio" }} />,
    );
    expect(screen.getByRole("group", { name: "From" })).toHaveTextContent("Other Ltd");
    expect(screen.queryByText("From your profile")).not.toBeInTheDocument();
  });

  it("shows VAT categories, the exemption, references, payment details, prepaid and amount due", () => {
    render(
      <InvoicePreview
        locale="en-US"
        invoice={issued({
          currency: "EUR",
          seller: {
            name: "Northwind Studio",
            tax_id: "DE811907980",
            contact: { name: "Tomasz Nowak", phone: "+48 22 555 0100" },
            electronic_address: { scheme: "0204", value: "04011000-12345-67" },
          },
          buyer: { name: "Client BV", tax_id: "NL123456789B01" },
          items: [
            { description: "Design", quantity: "1", unit_price: "1000.00", tax_rate: "0", discount_percent: "0", net_amount: "1000.00", tax_category: "AE" },
            { description: "Books", quantity: "2", unit_price: "50.00", tax_rate: "0", discount_percent: "0", net_amount: "100.00", tax_category: "E", exemption_reason: { code: "VATEX-EU-132-1J", text: "Exempt education" } },
          ],
          subtotal: "1100.00",
          tax_total: "0.00",
          total: "1100.00",
          tax_breakdown: [
            { tax_category: "AE", rate: "0", base: "1000.00", tax: "0.00", exemption_reason: { code: "VATEX-EU-AE", text: "Reverse charge" } },
            { tax_category: "E", rate: "0", base: "100.00", tax: "0.00", exemption_reason: { code: "VATEX-EU-132-1J", text: "Exempt education" } },
          ],
          buyer_reference: "04011000-12345-67",
          purchase_order: "PO 4711",
          delivery_date: "2026-11-20",
          payment: { means_code: "58", iban: "DE89370400440532013000", bic: "COBADEFFXXX", account_name: "Northwind Studio", reference: "2026-0007" },
          prepaid_amount: "100.00",
          amount_due: "1000.00",
        })}
      />,
    );
    const sheet = screen.getByTestId("invoice");
    const [design, books] = screen.getAllByTestId("line-item");
    expect(within(design).getByText(/Reverse charge 0%/, { selector: "td" })).toHaveAttribute("data-category", "AE");
    expect(books).toHaveTextContent("Exempt 0%");
    const totals = screen.getByTestId("totals");
    expect(totals).toHaveTextContent("Reverse charge 0%");
    expect(totals).toHaveTextContent("Exempt 0%");
    expect(sheet).toHaveTextContent("Exempt education (VATEX-EU-132-1J)");
    expect(sheet).toHaveTextContent("Buyer reference04011000-12345-67");
    expect(sheet).toHaveTextContent("Order referencePO 4711");
    expect(sheet).toHaveTextContent("DeliveredNov 20, 2026");
    expect(sheet).toHaveTextContent("Tax ID DE811907980");
    expect(sheet).toHaveTextContent("Tax ID NL123456789B01");
    expect(sheet).toHaveTextContent("Contact Tomasz Nowak, +48 22 555 0100");
    expect(sheet).toHaveTextContent("E-invoice address 04011000-12345-67");
    const pay = screen.getByRole("region", { name: "Payment details" });
    expect(pay).toHaveTextContent("IBANDE89 3704 0044 0532 0130 00");
    expect(pay).toHaveTextContent("BICCOBADEFFXXX");
    expect(pay).toHaveTextContent("Reference2026-0007");
    expect(screen.getByTestId("prepaid")).toHaveTextContent(nbsp("-€100.00"));
    expect(screen.getByTestId("invoice-amount-due")).toHaveTextContent("€1,000.00");
    expect(screen.getByTestId("amount-due")).toHaveTextContent("€1,000.00");
    expect(screen.getByTestId("invoice-total")).toHaveTextContent("€1,100.00");
  });

  it("renders hostile text as text", () => {
    render(<InvoicePreview locale="en-US" invoice={issued({ buyer_reference: "<img src=x onerror=alert(1)>" })} />);
    expect(screen.getByTestId("invoice")).toHaveTextContent("<img src=x onerror=alert(1)>");
    expect(document.querySelector("img")).toBeNull();
  });
});
