import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, json, mockFetch } from "../test/fetch";
import { issued, profile } from "../test/records";
import { IssueAction } from "./IssueAction";

afterEach(() => vi.unstubAllGlobals());

describe("IssueAction", () => {
  it("confirms with the number pattern, then issues once however often it is clicked", async () => {
    let answer!: (r: Response) => void;
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile({ numbering: { invoice_pattern: "INV-{year}-{seq:05}" } })) },
      { method: "POST", path: /\/issue$/, respond: () => new Promise<Response>((resolve) => (answer = resolve)) },
    ]);
    const onIssued = vi.fn();
    const user = userEvent.setup();
    render(<IssueAction sessionId="s1" enabled onIssued={onIssued} year={2026} />);
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    const dialog = screen.getByRole("dialog", { name: "Issue this invoice?" });
    expect(await screen.findByText("INV-{year}-{seq:05}")).toBeInTheDocument();
    expect(dialog).toHaveTextContent("e.g. INV-2026-00001");
    expect(dialog).toHaveTextContent("cannot be changed");

    const confirm = screen.getByRole("button", { name: "Issue invoice" });
    expect(confirm).toHaveFocus();
    await user.dblClick(confirm);
    await user.click(confirm);
    expect(screen.getByRole("button", { name: "Issuing…" })).toBeDisabled();
    answer(json(201, issued()));
    await waitFor(() => expect(onIssued).toHaveBeenCalledTimes(1));
    expect(onIssued.mock.calls[0][0].number).toBe("2026-0007");
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts).toHaveLength(1);
    expect(posts[0].headers["Idempotency-Key"]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("says 'the next number' when the profile cannot be read, and retries with the same key", async () => {
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => apiError(503, "unavailable") },
      { method: "POST", path: /\/issue$/, times: 1, respond: () => apiError(422, "validation_error", "Cannot issue yet.", { seller: ["A seller is needed."] }) },
      { method: "POST", path: /\/issue$/, respond: () => json(201, issued()) },
    ]);
    const onIssued = vi.fn();
    const user = userEvent.setup();
    render(<IssueAction sessionId="s1" enabled onIssued={onIssued} />);
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("A seller is needed.");
    expect(screen.getByRole("dialog")).toHaveTextContent("It gets your next invoice number and");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(onIssued).toHaveBeenCalled());
    const keys = calls.filter((c) => c.method === "POST").map((c) => c.headers["Idempotency-Key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("an invoice issued already (409) is fetched and shown as issued", async () => {
    mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) },
      { method: "POST", path: /\/issue$/, respond: () => apiError(409, "invoice_issued", "Issued already.", { number: "2026-0003" }) },
      { method: "GET", path: /\/api\/invoices\/2026-0003$/, respond: () => json(200, issued({ number: "2026-0003" })) },
    ]);
    const onIssued = vi.fn();
    const user = userEvent.setup();
    render(<IssueAction sessionId="s1" enabled onIssued={onIssued} />);
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await waitFor(() => expect(onIssued).toHaveBeenCalled());
    expect(onIssued.mock.calls[0][0].number).toBe("2026-0003");
  });

  it("is off without a draft, and Cancel closes the confirmation", async () => {
    mockFetch([{ method: "GET", path: /\/api\/profile$/, respond: () => json(200, {}) }]);
    const user = userEvent.setup();
    const { rerender } = render(<IssueAction sessionId="s1" enabled={false} onIssued={() => undefined} />);
    expect(screen.getByRole("button", { name: "Issue invoice" })).toBeDisabled();
    rerender(<IssueAction sessionId="s1" enabled onIssued={() => undefined} />);
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
