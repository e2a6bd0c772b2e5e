import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { apiError, mockFetch } from "../test/fetch";
import { SESSION } from "../test/fixtures";
import { ExportBar, ExportNotice, useExports } from "./ExportBar";

function Harness({ onSuggest = () => undefined }: { onSuggest?: (text: string) => void }) {
  const exports = useExports(SESSION, "INV-0007");
  return (
    <>
      <ExportBar exports={exports} canExport canPrint />
      <ExportNotice exports={exports} onSuggest={onSuggest} />
    </>
  );
}

let clicked: { href: string; download: string }[];

beforeEach(() => {
  clicked = [];
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ href: this.href, download: this.download });
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const file = (body: string, type: string, name?: string) =>
  new Response(body, {
    status: 200,
    headers: { "Content-Type": type, ...(name ? { "Content-Disposition": `attachment; filename="${name}"` } : {}) },
  });

describe("export", () => {
  it("downloads the PDF under the server's file name", async () => {
    const { calls } = mockFetch([{ method: "GET", path: /invoice\.pdf$/, respond: () => file("%PDF-1.7", "application/pdf", "INV-0007.pdf") }]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByRole("button", { name: /Download PDF/ }));
    expect(await screen.findByText("Downloaded INV-0007.pdf")).toBeInTheDocument();
    expect(calls[0].url).toBe(`/api/session/${SESSION}/invoice.pdf`);
    expect(clicked).toEqual([{ href: "blob:x", download: "INV-0007.pdf" }]);
  });

  it.each([
    ["UBL 2.1 XML", "invoice.ubl.xml"],
    ["CII XML", "invoice.cii.xml"],
    ["Factur-X PDF", "invoice.facturx.pdf"],
  ])("offers %s at /%s", async (label, suffix) => {
    const { calls } = mockFetch([{ method: "GET", path: /\/invoice/, respond: () => file("<x/>", "application/xml") }]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByText("More"));
    await user.click(screen.getByRole("button", { name: new RegExp(label) }));
    expect(calls[0].url).toBe(`/api/session/${SESSION}/${suffix}`);
    expect(clicked[0].download).toBe(`INV-0007${suffix.replace("invoice", "")}`); // no Content-Disposition: named after the invoice
  });

  it("downloads the JSON from the invoice endpoint", async () => {
    const { calls } = mockFetch([{ method: "GET", path: /\/invoice$/, respond: () => file("{}", "application/json") }]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByText("More"));
    await user.click(screen.getByRole("button", { name: /JSON/ }));
    expect(calls[0].url).toBe(`/api/session/${SESSION}/invoice`);
    expect(clicked[0].download).toBe("INV-0007.json");
  });

  it("einvoice_incomplete: shows what is missing and puts the suggested message in the chat", async () => {
    mockFetch([
      {
        method: "GET",
        path: /ubl\.xml$/,
        respond: () =>
          apiError(422, "einvoice_incomplete", "An EN 16931 e-invoice needs more information.", {
            missing: [
              { field: "seller.tax_id", term: "BT-31", message: "the seller's VAT number" },
              { field: "buyer.address", term: "BT-55", message: "the buyer's country" },
            ],
          }),
      },
    ]);
    const onSuggest = vi.fn();
    const user = userEvent.setup();
    render(<Harness onSuggest={onSuggest} />);
    await user.click(screen.getByText("More"));
    await user.click(screen.getByRole("button", { name: /UBL 2.1 XML/ }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The UBL 2.1 XML e-invoice needs a few more details");
    expect(alert).toHaveTextContent("The seller's VAT number (BT-31)");
    expect(alert).toHaveTextContent("The buyer's country (BT-55)");
    await user.click(within(alert).getByRole("button", { name: /our VAT number is/ }));
    expect(onSuggest).toHaveBeenCalledWith("our VAT number is ");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("an export the server does not offer says so, and other errors can be retried", async () => {
    mockFetch([
      { method: "GET", path: /facturx\.pdf$/, respond: () => apiError(404, "not_found", "There is nothing at this address.") },
      { method: "GET", path: /invoice\.pdf$/, times: 1, respond: () => apiError(503, "unavailable", "down") },
      { method: "GET", path: /invoice\.pdf$/, respond: () => file("%PDF", "application/pdf", "INV-0007.pdf") },
    ]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByText("More"));
    await user.click(screen.getByRole("button", { name: /Factur-X/ }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This server does not offer that yet.");

    await user.click(screen.getByRole("button", { name: /Download PDF/ }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("briefly unavailable");
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByText("Downloaded INV-0007.pdf")).toBeInTheDocument();
  });

  it("the formats menu closes with Escape and gives the focus back", async () => {
    mockFetch([]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByText("More"));
    const menu = screen.getByText("More").closest("details")!;
    expect(menu.open).toBe(true);
    await user.keyboard("{Escape}");
    expect(menu.open).toBe(false);
    expect(menu.querySelector("summary")).toHaveFocus();
  });

  it("Print prints the page (the print stylesheet keeps only the invoice)", async () => {
    const print = vi.fn();
    vi.stubGlobal("print", print);
    mockFetch([]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByRole("button", { name: /Print/ }));
    expect(print).toHaveBeenCalledOnce();
  });
});

describe("export: guidance beyond the chat", () => {
  it("a draft's e-invoice says to issue it first; seller fields point to Settings", async () => {
    mockFetch([
      {
        method: "GET",
        path: /ubl\.xml$/,
        respond: () =>
          apiError(422, "einvoice_incomplete", "Needs more.", {
            profile: "en16931",
            missing: [
              { field: "number", term: "BT-1", message: "the invoice number: issue the invoice first", rule: "BR-02" },
              { field: "seller.tax_id", term: "BT-31", message: "the seller's VAT number", rule: "BR-CO-26" },
            ],
          }),
      },
    ]);
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByText("More"));
    await user.click(screen.getByRole("button", { name: /UBL 2.1 XML/ }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("issue the invoice first, then download its e-invoice");
    expect(within(alert).getByRole("link", { name: "Settings" })).toHaveAttribute("href", "/settings");
  });
});
