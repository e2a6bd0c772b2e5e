// The shapes of the HTTP API (design.md "HTTP API", docs/api.md). Money, quantities and rates
// are decimal strings and stay strings in the UI: they are formatted, never computed with.

import type { AttachmentMeta } from "./attachments";

export type Decimal = string;

export interface Party {
  name: string;
  company?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  tax_id?: string | null;
  /** BT-41..43 (issue 17). */
  contact?: { name?: string | null; phone?: string | null; email?: string | null } | null;
  /** BT-34 / BT-49: an EAS scheme and its value. */
  electronic_address?: { scheme: string; value: string } | null;
}

export interface LineItem {
  description: string;
  quantity: Decimal;
  unit?: string | null;
  unit_price: Decimal;
  tax_rate: Decimal;
  discount_percent: Decimal;
  net_amount: Decimal;
  tax_category?: TaxCategory | null;
  exemption_reason?: ExemptionReason | null;
}

/** EN 16931 VAT category (UNCL 5305 subset). */
export type TaxCategory = "S" | "Z" | "E" | "AE" | "K" | "G" | "O";

export interface ExemptionReason {
  code?: string | null;
  text?: string | null;
}

export interface PaymentDetails {
  means_code?: string | null;
  iban?: string | null;
  bic?: string | null;
  account_name?: string | null;
  reference?: string | null;
}

export interface Discount {
  kind: "percent" | "amount";
  value: Decimal;
}

export interface TaxLine {
  rate: Decimal;
  base: Decimal;
  tax: Decimal;
  tax_category?: TaxCategory | null;
  exemption_reason?: ExemptionReason | null;
}

export type InvoiceStatus = "draft" | "issued" | "paid" | "credited";
export type InvoiceType = "invoice" | "credit_note";

export interface Invoice {
  number?: string | null;
  currency: string;
  issue_date?: string | null;
  due_date?: string | null;
  seller?: Party | null;
  buyer?: Party | null;
  discount?: Discount | null;
  notes?: string | null;
  payment_terms?: string | null;
  items: LineItem[];
  subtotal: Decimal;
  discount_total: Decimal;
  tax_total: Decimal;
  total: Decimal;
  tax_breakdown: TaxLine[];
  // Records (issue 16) and e-invoice fields (issue 17): absent from older answers.
  status?: InvoiceStatus | null;
  type?: InvoiceType | null;
  buyer_reference?: string | null;
  purchase_order?: string | null;
  delivery_date?: string | null;
  prepaid_amount?: Decimal | null;
  amount_due?: Decimal | null;
  payment?: PaymentDetails | null;
  preceding_invoice?: { number: string; issue_date?: string | null } | null;
}

export type TokenZone = "green" | "red";

export interface JobAccepted {
  job_id: string;
  session_id: string;
  status: "queued";
  status_url: string;
  token_count: number;
  token_limit: number;
  token_zone: TokenZone;
  /** The files that came with the message (multipart turns), in upload order. */
  attachments?: AttachmentMeta[];
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed";

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface TurnResult {
  reply: string;
  invoice: Invoice | null;
  token_count: number;
  token_zone: TokenZone;
  warning?: string | null;
}

export interface Job {
  job_id: string;
  session_id: string;
  status: JobStatus;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  result: TurnResult | null;
  error: ErrorBody | null;
}

export interface Message {
  role: "user" | "assistant";
  content: string;
  created_at: string;
  tokens: number;
  attachments?: AttachmentMeta[];
}

export interface Session {
  session_id: string;
  created_at: string;
  last_activity: string;
  expires_at: string;
  messages: Message[];
  invoice: Invoice | null;
  token_count: number;
  token_limit: number;
  token_warn: number;
  token_zone: TokenZone;
  pending_job_id: string | null;
  usage?: { input_tokens: number; output_tokens: number };
}

export type BatchStatus = "queued" | "running" | "completed" | "cancelled";

export interface BatchItem {
  reference?: string | null;
  job_id: string;
  session_id: string;
  status: JobStatus | "cancelled" | "expired";
  invoice_number?: string | null;
  buyer?: string | null;
  currency?: string | null;
  total?: Decimal | null;
  error?: ErrorBody | string | null;
}

export interface Batch {
  batch_id: string;
  status: BatchStatus;
  total: number;
  counts: Partial<Record<"queued" | "running" | "succeeded" | "failed" | "cancelled", number>>;
  items: BatchItem[];
  results_url?: string;
  invoices_url?: string;
  status_url?: string;
  created_at?: string;
  page?: number;
  per_page?: number;
  pages?: number;
  /** The batch issues its invoices once every item is final. */
  issue?: boolean;
  /** Items issued so far. */
  issued?: number;
  /** Every item is final and the invoices are being issued (status stays running). */
  issuing?: boolean;
}
