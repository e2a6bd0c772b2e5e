import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { json, mockFetch } from "./test/fetch";
import { acmeInvoice, SESSION, session } from "./test/fixtures";
import { issued, profile, summary } from "./test/records";
import { SESSION_KEY } from "./useConversation";

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, "", "/");
});

describe("App: navigation and issuing", () => {
  it("navigates between Chat, Batch, Invoices, Clients and Settings", async () => {
    mockFetch([
      { method: "GET", path: /\/api\/invoices/, respond: () => json(200, { items: [], page: 1, per_page: 20, total: 0 }) },
      { method: "GET", path: /\/api\/clients/, respond: () => json(200, { items: [], page: 1, per_page: 50, total: 0 }) },
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Chat", "Batch", "Invoices", "Clients", "Settings"]);
    expect(within(nav).getByRole("link", { name: "Chat" })).toHaveAttribute("aria-current", "page");

    await user.click(within(nav).getByRole("link", { name: "Invoices" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Invoices" })).toBeInTheDocument();
    expect(window.location.pathname).toBe("/invoices");
    expect(document.title).toBe("Invoices · Invoice Agent");
    expect(within(nav).getByRole("link", { name: "Invoices" })).toHaveAttribute("aria-current", "page");

    await user.click(within(nav).getByRole("link", { name: "Clients" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Clients" })).toBeInTheDocument();
    await user.click(within(nav).getByRole("link", { name: "Settings" }));
    expect(await screen.findByRole("group", { name: "Your business" })).toBeInTheDocument();
    window.history.back();
    await waitFor(() => expect(screen.getByRole("heading", { level: 1, name: "Clients" })).toBeInTheDocument());
  });

  it("'All invoices' goes back to the filtered list; the Invoices link starts it afresh", async () => {
    window.history.replaceState(null, "", "/invoices");
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/invoices\/2026-0007$/, respond: () => json(200, issued()) },
      { method: "GET", path: /\/api\/invoices(\?|$)/, respond: () => json(200, { items: [summary("2026-0007")], page: 1, per_page: 20, total: 1 }) },
      { method: "GET", path: /\/api\/clients/, respond: () => json(200, { items: [], page: 1, per_page: 200, total: 0 }) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("invoice-row");
    await user.selectOptions(screen.getByLabelText("Status"), "issued");
    await waitFor(() => expect(window.location.search).toBe("?status=issued"));
    await user.click(await screen.findByRole("link", { name: "2026-0007" }));
    await user.click(await screen.findByRole("link", { name: "← All invoices" }));
    await waitFor(() => expect(screen.getByLabelText("Status")).toHaveValue("issued"));
    expect(window.location.search).toBe("?status=issued");
    await user.click(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Invoices" }));
    await waitFor(() => expect(screen.getByLabelText("Status")).toHaveValue(""));
    expect(calls.at(-1)?.url).toBe("/api/invoices?page=1&per_page=20");
  });

  it("issues the chat's draft: the preview shows the number, the message box explains", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    const draft = acmeInvoice({ number: null, status: "draft", seller: { name: "Northwind Studio" } });
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session({ invoice: draft })) },
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) },
      { method: "POST", path: /\/issue$/, respond: () => json(201, issued({ number: "2026-0001" })) },
      { method: "GET", path: /\/api\/invoices\/2026-0001$/, respond: () => json(200, issued({ number: "2026-0001" })) },
    ]);
    const user = userEvent.setup();
    const { unmount } = render(<App />);
    expect(await screen.findByTestId("invoice-number")).toHaveTextContent("Draft");
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Issue invoice" }));
    await waitFor(() => expect(screen.getByTestId("invoice-number")).toHaveTextContent("2026-0001"));
    expect(screen.getByTestId("invoice-status")).toHaveTextContent("Issued");
    expect(screen.getByRole("region", { name: "Issued invoice" })).toHaveTextContent("Invoice 2026-0001 is issued.");
    expect(screen.queryByLabelText("Message to the invoice assistant")).not.toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Download 2026-0001" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Issue invoice" })).not.toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(1);

    // after a reload the chat still knows its invoice was issued
    unmount();
    render(<App />);
    await waitFor(() => expect(screen.getByTestId("invoice-number")).toHaveTextContent("2026-0001"));
    expect(screen.getByRole("region", { name: "Issued invoice" })).toBeInTheDocument();
  });
});
