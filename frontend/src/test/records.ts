// Records fixtures: an issued invoice, a summary, a client, a profile.
import type { Client, InvoiceSummary, IssuedInvoice, Profile } from "../records";
import { acmeInvoice } from "./fixtures";

export function issued(overrides: Partial<IssuedInvoice> = {}): IssuedInvoice {
  return {
    ...acmeInvoice({ seller: { name: "Northwind Studio" } }),
    number: "2026-0007",
    status: "issued",
    type: "invoice",
    issued_at: "2026-11-24T10:00:00+00:00",
    paid_at: null,
    credit_note_numbers: [],
    credits: null,
    ...overrides,
  };
}

export function summary(number: string, overrides: Partial<InvoiceSummary> = {}): InvoiceSummary {
  return {
    number,
    type: "invoice",
    status: "issued",
    issue_date: "2026-11-24",
    due_date: "2026-12-24",
    buyer: "Acme Corp",
    client_id: "c1",
    currency: "USD",
    total: "6480.00",
    issued_at: "2026-11-24T10:00:00+00:00",
    paid_at: null,
    ...overrides,
  };
}

export function client(overrides: Partial<Client> = {}): Client {
  return {
    client_id: "c1",
    name: "Jane Roe",
    company: "Acme Corp",
    email: "ap@acme.com",
    phone: null,
    address: "1 Road Runner Way\nSpringfield",
    tax_id: "US123",
    invoice_count: 2,
    last_invoice_number: "2026-0007",
    last_invoiced_at: "2026-11-24T10:00:00+00:00",
    ...overrides,
  };
}

export function profile(overrides: Partial<Profile> = {}): Profile {
  return {
    seller: { name: "Northwind Studio", address: "Hauptstrasse 1\n10115 Berlin", tax_id: "DE811907980" },
    payment: { iban: "DE89370400440532013000", bic: null, account_name: null, means_code: "58" },
    defaults: { currency: "EUR", payment_terms_days: 30, tax_rate: "19", locale: "de_DE" },
    numbering: { invoice_pattern: "{year}-{seq:04}", credit_note_pattern: "CN-{year}-{seq:04}" },
    ...overrides,
  };
}
