import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, json, mockFetch } from "../test/fetch";
import { client } from "../test/records";
import { ClientsPage } from "./ClientsPage";

afterEach(() => vi.unstubAllGlobals());

const page = (items = [client(), client({ client_id: "c2", name: "Bruce", company: "Wayne Enterprises", tax_id: null, invoice_count: 1 })]) => ({
  method: "GET",
  path: /\/api\/clients/,
  respond: () => json(200, { items, page: 1, per_page: 50, total: items.length }),
});

describe("ClientsPage", () => {
  it("lists clients, searches, and shows a client's invoices", async () => {
    const { calls } = mockFetch([page()]);
    const onShowInvoices = vi.fn();
    const user = userEvent.setup();
    render(<ClientsPage locale="en-US" onShowInvoices={onShowInvoices} />);
    const cards = await screen.findAllByTestId("client");
    expect(cards).toHaveLength(2);
    expect(cards[0]).toHaveTextContent("Acme Corp");
    expect(cards[0]).toHaveTextContent("VAT ID US123");
    expect(cards[0]).toHaveTextContent("2 invoices · last 2026-0007 on Nov 24, 2026");
    await user.type(screen.getByRole("searchbox"), "wayne");
    await waitFor(() => expect(calls.at(-1)?.url).toBe("/api/clients?q=wayne&page=1&per_page=50"));
    await user.click(within(cards[0]).getByRole("button", { name: "Invoices of Acme Corp" }));
    expect(onShowInvoices).toHaveBeenCalledWith("c1");
  });

  it("edits a client: only changed fields are sent, a 422 shows at its field", async () => {
    const { calls } = mockFetch([
      page(),
      { method: "PATCH", path: /\/api\/clients\/c1$/, times: 1, respond: () => apiError(422, "validation_error", "Invalid.", { email: ["Not a valid email address."] }) },
      { method: "PATCH", path: /\/api\/clients\/c1$/, respond: () => json(200, client({ email: "billing@acme.com" })) },
    ]);
    const user = userEvent.setup();
    render(<ClientsPage locale="en-US" onShowInvoices={() => undefined} />);
    await user.click(await screen.findByRole("button", { name: "Edit Acme Corp" }));
    const form = screen.getByRole("form", { name: "Edit Acme Corp" });
    const email = within(form).getByLabelText("E-mail");
    await user.clear(email);
    await user.type(email, "billing@");
    await user.click(within(form).getByRole("button", { name: "Save client" }));
    await waitFor(() => expect(email).toHaveAttribute("aria-invalid", "true"));
    expect(email).toHaveAccessibleDescription("Not a valid email address.");
    await user.type(email, "acme.com");
    await user.click(within(form).getByRole("button", { name: "Save client" }));
    expect(await screen.findByText("Acme Corp saved.")).toBeInTheDocument();
    expect(screen.getAllByTestId("client")[0]).toHaveTextContent("billing@acme.com");
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([{ email: "billing@" }, { email: "billing@acme.com" }]);
  });

  it("deletes a client after a confirmation", async () => {
    let deleted = false;
    const { calls } = mockFetch([
      {
        method: "GET",
        path: /\/api\/clients/,
        respond: () => json(200, { items: deleted ? [] : [client()], page: 1, per_page: 50, total: deleted ? 0 : 1 }),
      },
      {
        method: "DELETE",
        path: /\/api\/clients\/c1$/,
        respond: () => {
          deleted = true;
          return new Response(null, { status: 204 });
        },
      },
    ]);
    const user = userEvent.setup();
    render(<ClientsPage locale="en-US" onShowInvoices={() => undefined} />);
    await user.click(await screen.findByRole("button", { name: "Delete Acme Corp" }));
    const confirm = screen.getByRole("group", { name: "Delete Acme Corp" });
    expect(confirm).toHaveTextContent("issued invoices are kept");
    await user.click(within(confirm).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(/Acme Corp deleted/)).toBeInTheDocument();
    await waitFor(() => expect(screen.queryAllByTestId("client")).toHaveLength(0));
    expect(calls.some((c) => c.method === "DELETE")).toBe(true);
  });
});
