import type { Invoice, Job, JobAccepted, Session } from "../types";

export const SESSION = "a".repeat(32);

export function acmeInvoice(overrides: Partial<Invoice> = {}): Invoice {
  return {
    number: "INV-0001",
    currency: "USD",
    issue_date: "2026-11-24",
    due_date: "2026-12-24",
    seller: null,
    buyer: { name: "Acme Corp" },
    discount: null,
    notes: null,
    payment_terms: null,
    items: [
      {
        description: "Consulting",
        quantity: "40",
        unit: "hour",
        unit_price: "150.00",
        tax_rate: "8",
        discount_percent: "0",
        net_amount: "6000.00",
      },
    ],
    subtotal: "6000.00",
    discount_total: "0.00",
    tax_total: "480.00",
    total: "6480.00",
    tax_breakdown: [{ rate: "8", base: "6000.00", tax: "480.00" }],
    ...overrides,
  };
}

export function withTravel(): Invoice {
  const base = acmeInvoice();
  return {
    ...base,
    items: [
      ...base.items,
      { description: "Travel", quantity: "1", unit: null, unit_price: "200.00", tax_rate: "8", discount_percent: "0", net_amount: "200.00" },
    ],
    subtotal: "6200.00",
    tax_total: "496.00",
    total: "6696.00",
    tax_breakdown: [{ rate: "8", base: "6200.00", tax: "496.00" }],
  };
}

export function accepted(jobId: string, tokenCount = 25): JobAccepted {
  return {
    job_id: jobId,
    session_id: SESSION,
    status: "queued",
    status_url: `/api/jobs/${jobId}`,
    token_count: tokenCount,
    token_limit: 200000,
    token_zone: "green",
  };
}

export function job(jobId: string, status: Job["status"], extra: Partial<Job> = {}): Job {
  return {
    job_id: jobId,
    session_id: SESSION,
    status,
    created_at: "2026-11-24T10:00:00Z",
    started_at: null,
    finished_at: null,
    result: null,
    error: null,
    ...extra,
  };
}

export function succeeded(jobId: string, invoice: Invoice, reply: string, tokenCount: number, warning: string | null = null): Job {
  return job(jobId, "succeeded", {
    result: { reply, invoice, token_count: tokenCount, token_zone: tokenCount >= 160000 ? "red" : "green", warning },
  });
}

export function session(overrides: Partial<Session> = {}): Session {
  return {
    session_id: SESSION,
    created_at: "2026-11-24T10:00:00Z",
    last_activity: "2026-11-24T10:01:00Z",
    expires_at: "2026-11-24T11:01:00Z",
    messages: [
      { role: "user", content: "Invoice Acme Corp for 40 hours of consulting at $150/h", created_at: "", tokens: 20 },
      { role: "assistant", content: "Created an invoice for Acme Corp.", created_at: "", tokens: 30 },
    ],
    invoice: acmeInvoice(),
    token_count: 50,
    token_limit: 200000,
    token_warn: 160000,
    token_zone: "green",
    pending_job_id: null,
    ...overrides,
  };
}
