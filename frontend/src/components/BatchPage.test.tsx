import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { apiError, json, mockFetch } from "../test/fetch";
import type { Batch, BatchItem } from "../types";
import { asLineNumbers, BatchPage, linesToItems, totalsByCurrency } from "./BatchPage";

const BATCH = "b".repeat(32);

function item(n: number, status: BatchItem["status"], total?: string): BatchItem {
  return {
    reference: null,
    job_id: `j${n}`,
    session_id: `${n}`.repeat(32).slice(0, 32),
    status,
    invoice_number: status === "succeeded" ? `INV-000${n}` : null,
    buyer: status === "succeeded" ? `Client ${n}` : null,
    currency: status === "succeeded" ? "USD" : null,
    total: total ?? null,
    error: status === "failed" ? { code: "invalid_invoice", message: "No price for this line." } : null,
  };
}

function batch(status: Batch["status"], items: BatchItem[]): Batch {
  const counts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const i of items) counts[i.status as keyof typeof counts] += 1;
  return { batch_id: BATCH, status, total: items.length, counts, items, results_url: `/api/batches/${BATCH}/results.csv`, page: 1, per_page: 100, pages: 1 };
}

const LINES = ["Invoice A for $10", "Invoice B for $20", "Invoice C for $30", "Invoice D for $40", "Invoice E"];

beforeEach(() => window.history.replaceState(null, "", "/batch"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("BatchPage", () => {
  it("submits one request per line, shows progress, then the results with totals and errors", async () => {
    let reads = 0;
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/batches$/, respond: () => json(202, batch("queued", LINES.map((_, i) => item(i + 1, "queued")))) },
      {
        method: "GET",
        path: /\/api\/batches\/b+\?page=1&per_page=100$/,
        respond: () =>
          json(
            200,
            ++reads === 1
              ? batch("running", [item(1, "succeeded", "10.00"), item(2, "succeeded", "20.00"), item(3, "running"), item(4, "queued"), item(5, "queued")])
              : batch("completed", [
                  item(1, "succeeded", "10.00"),
                  item(2, "succeeded", "20.00"),
                  item(3, "succeeded", "30.10"),
                  item(4, "succeeded", "40.20"),
                  item(5, "failed"),
                ]),
          ),
      },
    ]);
    const user = userEvent.setup();
    const onOpen = vi.fn();
    render(<BatchPage locale="en-US" onOpenSession={onOpen} />);
    await user.type(screen.getByLabelText("Requests, one per line"), `${LINES.join("\n")}\n\n`);
    await user.click(screen.getByRole("button", { name: "Generate 5 invoices" }));

    expect(await screen.findByText("2 of 5 finished")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Batch progress" })).toHaveAttribute("value", "2");
    expect(await screen.findByText("5 of 5 finished", {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getByRole("progressbar")).toHaveAttribute("value", "5");
    expect(calls[0].body).toEqual({ items: LINES.map((message) => ({ message })) });
    expect(window.location.search).toBe(`?id=${BATCH}`);

    const rows = within(screen.getByRole("table")).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("INV-0001");
    expect(rows[1]).toHaveTextContent("$10.00");
    expect(rows[5]).toHaveTextContent("Failed");
    expect(rows[5]).toHaveTextContent("No price for this line.");
    expect(screen.getByText("Total of finished invoices (USD)").closest("tr")).toHaveTextContent("$100.30");
    expect(screen.getByText("4 done")).toBeInTheDocument();
    expect(screen.getByText("1 failed")).toBeInTheDocument();

    await user.click(within(rows[1]).getByRole("button", { name: /Open/ }));
    expect(onOpen).toHaveBeenCalledWith("1".repeat(32));
    await waitFor(() => expect(calls.filter((c) => c.method === "GET")).toHaveLength(2)); // stops when completed
  });

  it("uploads a CSV as multipart field 'file' and shows the bad rows it was refused for", async () => {
    const { calls } = mockFetch([
      {
        method: "POST",
        path: /\/api\/batches$/,
        respond: () => apiError(422, "validation_error", "1 row(s) of the batch are not valid", { rows: { "3": ["The message is empty."] } }),
      },
    ]);
    const user = userEvent.setup();
    render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    const csv = new File(["message,reference\nInvoice A for $10,R1\n,R2\n"], "clients.csv", { type: "text/csv" });
    await user.upload(screen.getByLabelText("Upload a CSV file"), csv);
    expect(screen.getByLabelText("Requests, one per line")).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Generate invoices from clients.csv" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Row 3: The message is empty.");
    const form = calls[0].body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect((form.get("file") as File).name).toBe("clients.csv");
  });

  it("resumes the batch in the address after a reload and downloads results.csv", async () => {
    window.history.replaceState(null, "", `/batch?id=${BATCH}`);
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
    const clicks: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    mockFetch([
      { method: "GET", path: /\/api\/batches\/b+\?/, respond: () => json(200, batch("completed", [item(1, "succeeded", "10.00")])) },
      {
        method: "GET",
        path: /results\.csv$/,
        respond: () => new Response("reference,status\n,succeeded\n", { headers: { "Content-Disposition": `attachment; filename="batch-${BATCH}.csv"` } }),
      },
    ]);
    const user = userEvent.setup();
    render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    expect(await screen.findByText("1 of 1 finished")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Download results (CSV)" }));
    await waitFor(() => expect(clicks).toEqual([`batch-${BATCH}.csv`]));
  });

  it("downloads the PDFs as a ZIP and cancels what has not started", async () => {
    window.history.replaceState(null, "", `/batch?id=${BATCH}`);
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
    const clicks: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const deletes: string[] = [];
    let zipAsks = 0;
    const running = () => batch("running", [item(1, "succeeded", "10.00"), item(2, "queued")]);
    const cancelled = () => batch("cancelled", [item(1, "succeeded", "10.00"), item(2, "cancelled")]);
    mockFetch([
      {
        method: "GET",
        path: /\/api\/batches\/b+\?/,
        respond: () => json(200, deletes.length ? cancelled() : running()),
      },
      {
        method: "GET",
        path: /invoices\.zip$/,
        // a worker makes the ZIP first: 202 with its progress, then the file
        respond: () =>
          ++zipAsks === 1
            ? json(202, { status: "building", done: 0, total: 1, status_url: "/x" }, { "Retry-After": "1" })
            : new Response("PK", { headers: { "Content-Disposition": `attachment; filename="batch-${BATCH}.zip"` } }),
      },
      {
        method: "DELETE",
        path: /\/api\/batches\/b+$/,
        respond: ({ url }) => {
          deletes.push(url);
          return json(200, cancelled());
        },
      },
    ]);
    const user = userEvent.setup();
    render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    expect(await screen.findByText("1 of 2 finished")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Download PDFs (ZIP)" }));
    expect(await screen.findByRole("button", { name: "Preparing the ZIP… 0 of 1" })).toBeDisabled();
    await waitFor(() => expect(clicks).toEqual([`batch-${BATCH}.zip`]), { timeout: 3000 });
    expect(zipAsks).toBe(2);
    await user.click(screen.getByRole("button", { name: "Cancel the rest" }));
    await waitFor(() => expect(deletes).toHaveLength(1));
    expect(await screen.findByText("2 of 2 finished")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel the rest" })).not.toBeInTheDocument();
  });

  it("issues every invoice: sends issue, says the numbers come in item order, then shows them and the count", async () => {
    const draft = (n: number) => ({ ...item(n, "succeeded", `${n}0.00`), invoice_number: null });
    const numbered = (n: number) => ({ ...item(n, "succeeded", `${n}0.00`), invoice_number: `2026-000${n}` });
    let reads = 0;
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/batches$/, respond: () => json(202, { ...batch("queued", [item(1, "queued"), item(2, "queued")]), issue: true, issued: 0, issuing: false }) },
      {
        method: "GET",
        path: /\/api\/batches\/b+\?/,
        respond: () =>
          json(
            200,
            ++reads === 1
              ? { ...batch("running", [draft(1), draft(2)]), issue: true, issued: 0, issuing: true }
              : { ...batch("completed", [numbered(1), numbered(2)]), issue: true, issued: 2, issuing: false },
          ),
      },
    ]);
    const user = userEvent.setup();
    render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    await user.type(screen.getByLabelText("Requests, one per line"), "Invoice A for $10\nInvoice B for $20");
    const option = screen.getByRole("checkbox", { name: "Issue every invoice" });
    expect(option).toHaveAccessibleDescription(/in item order\. Issued invoices cannot be changed afterwards/);
    await user.click(option);
    await user.click(screen.getByRole("button", { name: "Generate and issue 2 invoices" }));

    expect(await screen.findByText("Issuing the invoices in item order… 0 of 2 issued")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: /Issuing/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel the rest" })).not.toBeInTheDocument();
    expect(screen.getAllByTestId("batch-invoice-number").map((cell) => cell.textContent)).toEqual(["Draft", "Draft"]);

    expect(await screen.findByText("2 invoices issued", {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getAllByTestId("batch-invoice-number").map((cell) => cell.textContent)).toEqual(["2026-0001", "2026-0002"]);
    expect(calls[0].body).toEqual({ items: [{ message: "Invoice A for $10" }, { message: "Invoice B for $20" }], issue: true });
  });

  it("sends issue=true with a CSV upload, and nothing about issuing when the option is off", async () => {
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/batches$/, respond: () => json(202, batch("queued", [item(1, "queued")])) },
      { method: "GET", path: /\/api\/batches\/b+\?/, respond: () => json(200, batch("completed", [item(1, "succeeded", "10.00")])) },
    ]);
    const user = userEvent.setup();
    const { unmount } = render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    const csv = new File(["message\nInvoice A for $10\n"], "clients.csv", { type: "text/csv" });
    await user.upload(screen.getByLabelText("Upload a CSV file"), csv);
    await user.click(screen.getByRole("checkbox", { name: "Issue every invoice" }));
    await user.click(screen.getByRole("button", { name: "Generate invoices from clients.csv" }));
    await screen.findByText("1 of 1 finished");
    const form = calls[0].body as FormData;
    expect(form.get("issue")).toBe("true");
    expect((form.get("file") as File).name).toBe("clients.csv");
    unmount();

    window.history.replaceState(null, "", "/batch");
    render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    await user.upload(screen.getByLabelText("Upload a CSV file"), csv);
    await user.click(screen.getByRole("button", { name: "Generate invoices from clients.csv" }));
    await waitFor(() => expect(calls.filter((c) => c.method === "POST")).toHaveLength(2));
    expect((calls.filter((c) => c.method === "POST")[1].body as FormData).has("issue")).toBe(false);
    expect(screen.queryByTestId("batch-issued")).not.toBeInTheDocument();
  });

  it("an unknown batch says so", async () => {
    window.history.replaceState(null, "", `/batch?id=${BATCH}`);
    mockFetch([{ method: "GET", path: /\/api\/batches\//, respond: () => apiError(404, "batch_not_found", "gone") }]);
    render(<BatchPage locale="en-US" onOpenSession={() => undefined} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Batch not found");
  });
});

describe("batch helpers", () => {
  it("reads one request per non-empty line", () => {
    expect(linesToItems(" a \r\n\n b\n")).toEqual([{ message: "a" }, { message: "b" }]);
  });

  it("sums totals per currency exactly", () => {
    const items = [item(1, "succeeded", "0.10"), item(2, "succeeded", "0.20"), { ...item(3, "succeeded", "5.00"), currency: "EUR" }, item(4, "failed")];
    expect(totalsByCurrency(items)).toEqual([
      ["USD", "0.30"],
      ["EUR", "5.00"],
    ]);
  });

  it("counts a JSON batch's bad rows as pasted lines, from 1", () => {
    const error = new ApiError(422, { code: "validation_error", message: "bad", details: { rows: { "0": ["The message is empty."] } } });
    expect((asLineNumbers(error) as ApiError).details).toEqual({ items: { "0": ["The message is empty."] } });
  });
});
