import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch } from "../test/fetch";
import { client, issued, summary } from "../test/records";
import { InvoicesPage } from "./InvoicesPage";

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

const noop = () => undefined;

function listRoute(total = 2, items = [summary("2026-0002", { status: "paid", total: "1234567.89" }), summary("2026-0001")]) {
  return { method: "GET", path: /\/api\/invoices(\?|$)/, respond: () => json(200, { items, page: 1, per_page: 20, total }) };
}
const clientsRoute = { method: "GET", path: /\/api\/clients/, respond: () => json(200, { items: [client()], page: 1, per_page: 200, total: 1 }) };

describe("InvoicesPage list", () => {
  it("lists invoices with their status and totals, exact to the cent", async () => {
    mockFetch([listRoute(), clientsRoute]);
    const onOpenInvoice = vi.fn();
    const user = userEvent.setup();
    render(<InvoicesPage locale="en-US" number={null} onOpenInvoice={onOpenInvoice} onBack={noop} onOpenSession={noop} />);
    const rows = await screen.findAllByTestId("invoice-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("2026-0002");
    expect(rows[0]).toHaveTextContent("$1,234,567.89");
    expect(rows[0]).toHaveTextContent("Paid");
    expect(rows[1]).toHaveTextContent("Acme Corp");
    expect(screen.getByText("2 invoices")).toBeInTheDocument();
    await user.click(within(rows[1]).getByRole("link", { name: "2026-0001" }));
    expect(onOpenInvoice).toHaveBeenCalledWith("2026-0001");
  });

  it("search, status, client and dates go to the API; the address keeps them", async () => {
    const { calls } = mockFetch([listRoute(), clientsRoute]);
    const user = userEvent.setup();
    render(<InvoicesPage locale="en-US" number={null} onOpenInvoice={noop} onBack={noop} onOpenSession={noop} />);
    await screen.findAllByTestId("invoice-row");
    await user.type(screen.getByRole("searchbox"), "acme");
    await waitFor(() => expect(calls.some((c) => c.url.includes("q=acme"))).toBe(true));
    await user.selectOptions(screen.getByLabelText("Status"), "paid");
    await screen.findByRole("option", { name: "Acme Corp" });
    await user.selectOptions(screen.getByLabelText("Client"), "c1");
    await user.type(screen.getByLabelText("From"), "2026-01-01");
    await waitFor(() =>
      expect(calls.at(-1)?.url).toBe("/api/invoices?q=acme&status=paid&client_id=c1&from=2026-01-01&page=1&per_page=20"),
    );
    expect(window.location.search).toBe("?q=acme&status=paid&client_id=c1&from=2026-01-01");
    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(calls.at(-1)?.url).toBe("/api/invoices?page=1&per_page=20"));
  });

  it("pages through a long list", async () => {
    const { calls } = mockFetch([listRoute(45), clientsRoute]);
    const user = userEvent.setup();
    render(<InvoicesPage locale="en-US" number={null} onOpenInvoice={noop} onBack={noop} onOpenSession={noop} />);
    expect(await screen.findByText("Page 1 of 3")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Page 2 of 3")).toBeInTheDocument();
    expect(calls.at(-1)?.url).toContain("page=2");
  });

  it("says when nothing is issued yet", async () => {
    mockFetch([listRoute(0, []), clientsRoute]);
    render(<InvoicesPage locale="en-US" number={null} onOpenInvoice={noop} onBack={noop} onOpenSession={noop} />);
    expect(await screen.findByText(/No invoices yet/)).toBeInTheDocument();
  });
});

describe("InvoicesPage: one invoice", () => {
  it("marks it paid", async () => {
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/invoices\/2026-0007$/, respond: () => json(200, issued()) },
      { method: "PATCH", path: /\/api\/invoices\/2026-0007$/, respond: () => json(200, issued({ status: "paid", paid_at: "2026-11-30T09:00:00+00:00" })) },
    ]);
    const user = userEvent.setup();
    render(<InvoicesPage locale="en-US" number="2026-0007" onOpenInvoice={noop} onBack={noop} onOpenSession={noop} />);
    expect(await screen.findByRole("heading", { name: "Invoice 2026-0007" })).toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Download 2026-0007" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Mark paid" }));
    expect(await screen.findByText("2026-0007 is marked as paid.")).toBeInTheDocument();
    expect(screen.getByTestId("record-status")).toHaveTextContent("Paid on Nov 30, 2026");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ status: "paid" });
    expect(screen.queryByRole("button", { name: "Mark paid" })).not.toBeInTheDocument();
  });

  it("issues a credit note after a confirmation and links to it", async () => {
    let credited = false;
    const onOpenInvoice = vi.fn();
    mockFetch([
      {
        method: "GET",
        path: /\/api\/invoices\/2026-0007$/,
        respond: () => json(200, credited ? issued({ status: "credited", credit_note_numbers: ["CN-2026-0001"] }) : issued()),
      },
      {
        method: "POST",
        path: /credit-note$/,
        respond: () => {
          credited = true;
          return json(201, issued({ number: "CN-2026-0001", type: "credit_note", credits: "2026-0007" }));
        },
      },
    ]);
    const user = userEvent.setup();
    render(<InvoicesPage locale="en-US" number="2026-0007" onOpenInvoice={onOpenInvoice} onBack={noop} onOpenSession={noop} />);
    await user.click(await screen.findByRole("button", { name: "Credit note…" }));
    await user.click(screen.getByRole("button", { name: "Issue credit note" }));
    expect(await screen.findByText("Credit note CN-2026-0001 issued: 2026-0007 is credited.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("record-status")).toHaveTextContent("Credited"));
    await user.click(screen.getByRole("link", { name: "CN-2026-0001" }));
    expect(onOpenInvoice).toHaveBeenCalledWith("CN-2026-0001");
  });

  it("copies it into a new draft in the chat", async () => {
    mockFetch([
      { method: "GET", path: /\/api\/invoices\/2026-0007$/, respond: () => json(200, issued()) },
      { method: "POST", path: /\/copy$/, respond: () => json(201, { session_id: "s-copy" }) },
    ]);
    const onOpenSession = vi.fn();
    const user = userEvent.setup();
    render(<InvoicesPage locale="en-US" number="2026-0007" onOpenInvoice={noop} onBack={noop} onOpenSession={onOpenSession} />);
    await user.click(await screen.findByRole("button", { name: "Copy as a new draft" }));
    await waitFor(() => expect(onOpenSession).toHaveBeenCalledWith("s-copy"));
  });

  it("an unknown number says so", async () => {
    mockFetch([
      { method: "GET", path: /\/api\/invoices\/nope$/, respond: () => json(404, { error: { code: "invoice_not_found", message: "No invoice nope." } }) },
    ]);
    render(<InvoicesPage locale="en-US" number="nope" onOpenInvoice={noop} onBack={noop} onOpenSession={noop} />);
    expect(await screen.findByRole("alert")).toBeInTheDocument();
  });
});
