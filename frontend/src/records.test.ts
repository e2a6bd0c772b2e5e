import { afterEach, describe, expect, it, vi } from "vitest";
import {
  issuedNumberOf,
  issueSession,
  listInvoices,
  newIdempotencyKey,
  patchProfile,
  patternExample,
  queryString,
  rememberIssued,
} from "./records";
import { invoiceNumberOf, invoicePath, routeOf } from "./routes";
import { json, mockFetch } from "./test/fetch";
import { issued, profile, summary } from "./test/records";

afterEach(() => vi.unstubAllGlobals());

describe("records client", () => {
  it("shows what a pattern's numbers look like", () => {
    expect(patternExample("{year}-{seq:04}", 2026)).toBe("2026-0001");
    expect(patternExample("CN-{year}-{seq:04}", 2026, 12)).toBe("CN-2026-0012");
    expect(patternExample("INV{seq}", 2026)).toBe("INV1");
    expect(patternExample("R-{seq:06}", 2026)).toBe("R-000001");
  });

  it("sends only the filters that are set", () => {
    expect(queryString({ q: "acme", status: "", page: 2, from: undefined })).toBe("?q=acme&page=2");
    expect(queryString({})).toBe("");
  });

  it("issues with the Idempotency-Key header and reads the issued invoice", async () => {
    const { calls } = mockFetch([{ method: "POST", path: /\/issue$/, respond: () => json(201, issued()) }]);
    const key = newIdempotencyKey();
    const invoice = await issueSession("s1", key);
    expect(invoice.number).toBe("2026-0007");
    expect(calls[0].url).toBe("/api/session/s1/issue");
    expect(calls[0].headers["Idempotency-Key"]).toBe(key);
    expect(newIdempotencyKey()).not.toBe(key);
  });

  it("lists invoices with filters and pages, amounts as strings", async () => {
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/invoices/, respond: () => json(200, { items: [summary("2026-0001")], page: 2, per_page: 20, total: 21 }) },
    ]);
    const page = await listInvoices({ q: " acme ", status: "paid", client_id: "c1", from: "2026-01-01", to: "", page: 2, per_page: 20 });
    expect(calls[0].url).toBe("/api/invoices?q=acme&status=paid&client_id=c1&from=2026-01-01&page=2&per_page=20");
    expect(page.items[0].total).toBe("6480.00");
  });

  it("PATCHes the profile as JSON", async () => {
    const { calls } = mockFetch([{ method: "PATCH", path: /\/api\/profile$/, respond: () => json(200, profile()) }]);
    await patchProfile({ payment: { iban: "DE89370400440532013000" } });
    expect(calls[0].body).toEqual({ payment: { iban: "DE89370400440532013000" } });
    expect(calls[0].headers["Content-Type"]).toBe("application/json");
  });

  it("remembers which session was issued as which number", () => {
    expect(issuedNumberOf("s1")).toBeNull();
    rememberIssued("s1", "2026-0001");
    expect(issuedNumberOf("s1")).toBe("2026-0001");
    expect(issuedNumberOf(null)).toBeNull();
    localStorage.setItem("invoice-agent.issued", "not json");
    expect(issuedNumberOf("s1")).toBeNull();
  });
});

describe("routes", () => {
  it("knows the pages and the invoice in the path", () => {
    expect(routeOf("/")).toBe("chat");
    expect(routeOf("/batch")).toBe("batch");
    expect(routeOf("/invoices")).toBe("invoices");
    expect(routeOf("/invoices/2026-0001")).toBe("invoices");
    expect(routeOf("/clients/")).toBe("clients");
    expect(routeOf("/settings")).toBe("settings");
    expect(routeOf("/nowhere")).toBe("chat");
    expect(invoiceNumberOf("/invoices/CN%2F2026-1")).toBe("CN/2026-1");
    expect(invoiceNumberOf("/invoices")).toBeNull();
    expect(invoicePath("A/B")).toBe("/invoices/A%2FB");
  });
});
