import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, getJob, startTurn } from "./api";
import { detailLines, humanize } from "./errors";
import { apiError, json, mockFetch } from "./test/fetch";

const err = (status: number, code: string, details?: Record<string, unknown>, retryAfter: number | null = null) =>
  new ApiError(status, { code, message: `server says ${code}`, details }, retryAfter);

afterEach(() => vi.unstubAllGlobals());

describe("every error code gets a human answer", () => {
  it("413 token_limit_exceeded explains the limit and offers a new session", () => {
    const h = humanize(err(413, "token_limit_exceeded", { token_count: 199500, token_limit: 200000 }));
    expect(h.title).toBe("This conversation is full");
    expect(h.message).toContain("199,500 of its 200,000 tokens");
    expect(h.message).toMatch(/new session/);
    expect(h.action).toEqual({ kind: "new_session" });
  });

  it("404 session_not_found says it expired and offers a new session", () => {
    const h = humanize(err(404, "session_not_found"));
    expect(h.title).toBe("This session has expired");
    expect(h.action).toEqual({ kind: "new_session" });
  });

  it("409 turn_in_progress waits for the running turn", () => {
    const h = humanize(err(409, "turn_in_progress", { job_id: "j9" }));
    expect(h.title).toMatch(/Still working/);
    expect(h.action).toEqual({ kind: "wait", jobId: "j9" });
  });

  it("429 rate_limited says when to retry, from Retry-After", () => {
    const h = humanize(err(429, "rate_limited", undefined, 12));
    expect(h.message).toContain("12 seconds");
    expect(h.action).toEqual({ kind: "retry_after", seconds: 12 });
  });

  it("422 validation_error shows what was wrong, field by field", () => {
    const h = humanize(err(422, "validation_error", { message: ["The message is longer than 8000 characters."] }));
    expect(h.title).toBe("Please check what you sent");
    expect(h.points).toEqual(["Message: The message is longer than 8000 characters."]);
    expect(h.action.kind).toBe("edit");
  });

  it("503 and network errors offer a retry", () => {
    expect(humanize(err(503, "unavailable")).action).toEqual({ kind: "retry" });
    const network = humanize(new ApiError(0, { code: "network_error", message: "Failed to fetch" }));
    expect(network.title).toBe("Can't reach Invoice Agent");
    expect(network.action).toEqual({ kind: "retry" });
  });

  it("401 asks for an API key", () => {
    expect(humanize(err(401, "unauthorized")).action).toEqual({ kind: "api_key" });
  });

  it("413 payload_too_large asks for less", () => {
    expect(humanize(err(413, "payload_too_large")).title).toMatch(/too much/);
  });

  it("failed jobs: invalid_invoice keeps the invoice, provider errors can be retried", () => {
    const invalid = humanize({ code: "invalid_invoice", message: "A discount cannot exceed the subtotal.", details: { fields: { discount: ["too big"] } } });
    expect(invalid.message).toContain("A discount cannot exceed the subtotal.");
    expect(invalid.message).toContain("unchanged");
    expect(invalid.points).toEqual(["Discount: too big"]);
    expect(humanize({ code: "provider_unavailable", message: "" }).action).toEqual({ kind: "retry" });
    expect(humanize({ code: "provider_error", message: "Access denied." }).message).toContain("Access denied.");
    expect(humanize({ code: "turn_timeout", message: "" }).title).toBe("That took too long");
  });

  it("einvoice_incomplete lists the missing fields", () => {
    const h = humanize(err(422, "einvoice_incomplete", { missing: [{ field: "seller.tax_id", term: "BT-31", message: "the seller's VAT number" }] }));
    expect(h.title).toMatch(/e-invoice/);
    expect(h.points.join()).toContain("the seller's VAT number");
  });

  it("anything unknown still reads like a sentence and offers a retry", () => {
    const h = humanize(err(500, "internal_error"));
    expect(h.title).toBe("Something went wrong on our side");
    expect(h.message).not.toContain("server says");
    expect(humanize(new Error("boom")).action).toEqual({ kind: "retry" });
  });

  it.each([
    "invalid_json", "unauthorized", "session_not_found", "job_not_found", "batch_not_found", "no_invoice",
    "not_found", "method_not_allowed", "turn_in_progress", "token_limit_exceeded", "payload_too_large",
    "validation_error", "rate_limited", "internal_error", "unavailable", "einvoice_incomplete",
    "invalid_invoice", "provider_error", "provider_unavailable", "turn_timeout", "network_error",
    "invoice_issued", "invoice_not_found", "client_not_found",
  ])("%s has its own title", (code) => {
    const h = humanize(err(400, code));
    expect(h.title.length).toBeGreaterThan(5);
    expect(h.message.length).toBeGreaterThan(10);
  });
});

describe("detailLines", () => {
  it("names rows and lines the way people count them", () => {
    expect(detailLines({ rows: { "3": ["The message is empty."] } })).toEqual(["Row 3: The message is empty."]);
    expect(detailLines({ items: { "0": { message: ["Missing data for required field."] } } })).toEqual([
      "Line 1 › Message: Missing data for required field.",
    ]);
    expect(detailLines({ file: ["Upload the CSV in a field named 'file'."] })).toEqual([
      "CSV file: Upload the CSV in a field named 'file'.",
    ]);
  });
});

describe("the client reads the error shape", () => {
  it("keeps code, details and Retry-After", async () => {
    mockFetch([{ method: "POST", path: /\/api\/chat$/, respond: () => apiError(429, "rate_limited", "Too many", undefined, { "Retry-After": "7" }) }]);
    const error = await startTurn("chat", "hi", null).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(429);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBe(7);
  });

  it("asks again when a read is rate limited, after Retry-After", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let calls = 0;
    mockFetch([
      {
        method: "GET",
        path: /\/api\/jobs\//,
        respond: () =>
          ++calls === 1
            ? apiError(429, "rate_limited", "Too many", undefined, { "Retry-After": "1" })
            : json(200, { job_id: "j", status: "queued" }),
      },
    ]);
    const pending = getJob("j", 0);
    await vi.advanceTimersByTimeAsync(1100);
    await expect(pending).resolves.toMatchObject({ status: "queued" });
    expect(calls).toBe(2);
    vi.useRealTimers();
  });

  it("turns a non-JSON error page into a code", async () => {
    mockFetch([{ method: "POST", path: /\/api\/chat$/, respond: () => new Response("<html>Bad gateway</html>", { status: 502 }) }]);
    const error = await startTurn("chat", "hi", null).catch((e) => e);
    expect(error.code).toBe("unavailable");
  });

  it("turns a failed connection into network_error", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const error = await startTurn("chat", "hi", null).catch((e) => e);
    expect(error.code).toBe("network_error");
    expect(error.status).toBe(0);
  });
});
