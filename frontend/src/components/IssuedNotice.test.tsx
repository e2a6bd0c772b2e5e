import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch } from "../test/fetch";
import { issued } from "../test/records";
import { IssuedNotice } from "./IssuedNotice";

afterEach(() => vi.unstubAllGlobals());

describe("IssuedNotice", () => {
  it("says the invoice is issued and copies it into a new draft session", async () => {
    const { calls } = mockFetch([{ method: "POST", path: /\/copy$/, respond: () => json(201, { session_id: "new-session" }) }]);
    const onOpenSession = vi.fn();
    const onOpenInvoice = vi.fn();
    const user = userEvent.setup();
    render(<IssuedNotice invoice={issued()} onChanged={() => undefined} onOpenSession={onOpenSession} onOpenInvoice={onOpenInvoice} />);
    const region = screen.getByRole("region", { name: "Issued invoice" });
    expect(region).toHaveTextContent("Invoice 2026-0007 is issued.");
    expect(region).toHaveTextContent("cannot be edited in the chat");
    await user.click(screen.getByRole("button", { name: "Open in Invoices" }));
    expect(onOpenInvoice).toHaveBeenCalledWith("2026-0007");
    await user.click(screen.getByRole("button", { name: "Copy as a new draft" }));
    await waitFor(() => expect(onOpenSession).toHaveBeenCalledWith("new-session"));
    expect(calls[0].url).toBe("/api/invoices/2026-0007/copy");
  });

  it("issues a credit note after a confirmation, with an Idempotency-Key", async () => {
    const { calls } = mockFetch([
      { method: "POST", path: /\/credit-note$/, respond: () => json(201, issued({ number: "CN-2026-0001", type: "credit_note", credits: "2026-0007" })) },
      { method: "GET", path: /\/api\/invoices\/2026-0007$/, respond: () => json(200, issued({ status: "credited", credit_note_numbers: ["CN-2026-0001"] })) },
    ]);
    const onChanged = vi.fn();
    const user = userEvent.setup();
    render(<IssuedNotice invoice={issued()} onChanged={onChanged} onOpenSession={() => undefined} />);
    await user.click(screen.getByRole("button", { name: "Credit note…" }));
    expect(screen.getByRole("group", { name: "Confirm credit note" })).toHaveTextContent("reverses 2026-0007 in full");
    await user.click(screen.getByRole("button", { name: "Issue credit note" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Credit note CN-2026-0001 issued.");
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(onChanged.mock.calls[0][0].status).toBe("credited");
    expect(calls[0].headers["Idempotency-Key"]).toBeTruthy();
  });

  it("offers no credit note for a credited invoice, nor a copy of a credit note", () => {
    const { rerender } = render(
      <IssuedNotice invoice={issued({ status: "credited" })} onChanged={() => undefined} onOpenSession={() => undefined} />,
    );
    expect(screen.getByText(/is credited/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Credit note…" })).not.toBeInTheDocument();
    rerender(<IssuedNotice invoice={issued({ type: "credit_note" })} onChanged={() => undefined} onOpenSession={() => undefined} />);
    expect(screen.queryByRole("button", { name: "Copy as a new draft" })).not.toBeInTheDocument();
  });
});
