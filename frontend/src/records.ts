// The records API (design.md "Records", docs/api.md): the profile, clients, issuing, and issued
// invoices with their exports. Money stays decimal strings, as everywhere in the UI.
import { filenameFrom, headers, request, type Download } from "./api";
import { parseVisibleJson } from "./text";
import type { Decimal, Invoice, InvoiceStatus, InvoiceType, Party, PaymentDetails } from "./types";

// --- shapes -------------------------------------------------------------------------------

export interface ProfileDefaults {
  currency?: string | null;
  payment_terms_days?: number | null;
  tax_rate?: Decimal | null;
  locale?: string | null;
}

export interface Numbering {
  invoice_pattern?: string | null;
  credit_note_pattern?: string | null;
}

export interface Profile {
  seller?: Partial<Party> | null;
  payment?: Omit<PaymentDetails, "reference"> | null;
  defaults?: ProfileDefaults | null;
  numbering?: Numbering | null;
}

export type ProfileSection = keyof Profile;

/**
 * Electronic address schemes (CEF EAS, BT-34 / BT-49) offered in the settings: the common ones
 * of the code list the server validates against (core/identifiers.py; a stored code outside this
 * list is still shown). Peppol does not route e-mail (EM).
 */
export const EAS_SCHEMES: { code: string; label: string }[] = [
  { code: "9930", label: "9930 German VAT number" },
  { code: "0204", label: "0204 German Leitweg-ID" },
  { code: "0208", label: "0208 Belgian enterprise number" },
  { code: "9925", label: "9925 Belgian VAT number" },
  { code: "0106", label: "0106 Dutch KvK number" },
  { code: "0190", label: "0190 Dutch OIN" },
  { code: "9944", label: "9944 Dutch VAT number" },
  { code: "0009", label: "0009 French SIRET" },
  { code: "0002", label: "0002 French SIREN" },
  { code: "9957", label: "9957 French VAT number" },
  { code: "0184", label: "0184 Danish CVR number" },
  { code: "0007", label: "0007 Swedish organisation number" },
  { code: "0192", label: "0192 Norwegian organisation number" },
  { code: "0088", label: "0088 GLN (GS1 global location number)" },
  { code: "0060", label: "0060 DUNS number" },
  { code: "EM", label: "EM e-mail address (not for Peppol)" },
];

export interface Client extends Party {
  client_id: string;
  invoice_count?: number;
  last_invoice_number?: string | null;
  last_invoiced_at?: string | null;
}

export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
}

/** An invoice or credit note as kept: the invoice with its record fields. */
export interface IssuedInvoice extends Invoice {
  number: string;
  status: Exclude<InvoiceStatus, "draft">;
  type: InvoiceType;
  issued_at?: string | null;
  paid_at?: string | null;
  credit_note_numbers?: string[];
  credits?: string | null;
  client_id?: string | null;
}

export interface InvoiceSummary {
  number: string;
  type: InvoiceType;
  status: Exclude<InvoiceStatus, "draft">;
  issue_date?: string | null;
  due_date?: string | null;
  buyer?: string | null;
  client_id?: string | null;
  currency: string;
  total: Decimal;
  issued_at?: string | null;
  paid_at?: string | null;
}

export interface InvoiceFilters {
  q?: string;
  status?: "" | "issued" | "paid" | "credited";
  client_id?: string;
  from?: string;
  to?: string;
  page?: number;
  per_page?: number;
}

// --- plumbing -----------------------------------------------------------------------------

async function call<T>(path: string, init: RequestInit & { extraHeaders?: Record<string, string> } = {}): Promise<T> {
  const { extraHeaders, ...rest } = init;
  const response = await request(path, { ...rest, headers: headers(extraHeaders) });
  if (response.status === 204) return undefined as T;
  return parseVisibleJson<T>(await response.text());
}

const JSON_BODY = { "Content-Type": "application/json" };
const enc = encodeURIComponent;

/** A query string of the set parameters only ("?q=acme&page=2", or ""). */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A fresh Idempotency-Key: the same key sent twice issues once. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- profile ------------------------------------------------------------------------------

export function getProfile(signal?: AbortSignal): Promise<Profile> {
  return call<Profile>("/api/profile", { signal });
}

/** PATCH any subset; `null` clears a field. Answers the whole profile; 422 per field. */
export function patchProfile(changes: Profile): Promise<Profile> {
  return call<Profile>("/api/profile", { method: "PATCH", extraHeaders: JSON_BODY, body: JSON.stringify(changes) });
}

// --- clients ------------------------------------------------------------------------------

export function listClients(q = "", page = 1, perPage = 50, signal?: AbortSignal): Promise<Page<Client>> {
  return call<Page<Client>>(`/api/clients${queryString({ q, page, per_page: perPage })}`, { signal });
}

export function getClient(clientId: string): Promise<Client> {
  return call<Client>(`/api/clients/${enc(clientId)}`);
}

export function patchClient(clientId: string, changes: Partial<Party>): Promise<Client> {
  return call<Client>(`/api/clients/${enc(clientId)}`, {
    method: "PATCH",
    extraHeaders: JSON_BODY,
    body: JSON.stringify(changes),
  });
}

export async function deleteClient(clientId: string): Promise<void> {
  await call<void>(`/api/clients/${enc(clientId)}`, { method: "DELETE" });
}

// --- issuing and issued invoices ----------------------------------------------------------

/** POST /api/session/{id}/issue with an Idempotency-Key: 201 the issued invoice (the first
 * result again when the key was used before). */
export function issueSession(sessionId: string, idempotencyKey: string): Promise<IssuedInvoice> {
  return call<IssuedInvoice>(`/api/session/${enc(sessionId)}/issue`, {
    method: "POST",
    extraHeaders: { "Idempotency-Key": idempotencyKey },
  });
}

export function listInvoices(filters: InvoiceFilters = {}, signal?: AbortSignal): Promise<Page<InvoiceSummary>> {
  const { q, status, client_id, from, to, page, per_page } = filters;
  return call<Page<InvoiceSummary>>(
    `/api/invoices${queryString({ q: q?.trim(), status, client_id, from, to, page, per_page })}`,
    { signal },
  );
}

export function getIssuedInvoice(number: string, signal?: AbortSignal): Promise<IssuedInvoice> {
  return call<IssuedInvoice>(`/api/invoices/${enc(number)}`, { signal });
}

export function markPaid(number: string, paidAt?: string): Promise<IssuedInvoice> {
  return call<IssuedInvoice>(`/api/invoices/${enc(number)}`, {
    method: "PATCH",
    extraHeaders: JSON_BODY,
    body: JSON.stringify(paidAt ? { status: "paid", paid_at: paidAt } : { status: "paid" }),
  });
}

export function creditNote(number: string, idempotencyKey: string): Promise<IssuedInvoice> {
  return call<IssuedInvoice>(`/api/invoices/${enc(number)}/credit-note`, {
    method: "POST",
    extraHeaders: { "Idempotency-Key": idempotencyKey },
  });
}

export function copyInvoice(number: string): Promise<{ session_id: string }> {
  return call<{ session_id: string }>(`/api/invoices/${enc(number)}/copy`, { method: "POST" });
}

export interface IssuedFormat {
  id: "pdf" | "html" | "ubl" | "cii" | "facturx";
  label: string;
  hint: string;
  suffix: string;
}

export const ISSUED_FORMATS: IssuedFormat[] = [
  { id: "pdf", label: "PDF", hint: "To send or archive", suffix: ".pdf" },
  { id: "html", label: "HTML", hint: "A web page of the invoice", suffix: ".html" },
  { id: "ubl", label: "UBL 2.1 XML", hint: "EN 16931 e-invoice (Peppol)", suffix: ".ubl.xml" },
  { id: "cii", label: "CII XML", hint: "EN 16931 e-invoice (UN/CEFACT)", suffix: ".cii.xml" },
  { id: "facturx", label: "Factur-X PDF", hint: "PDF/A-3 with the e-invoice inside", suffix: ".facturx.pdf" },
];

export function issuedFileUrl(number: string, format: IssuedFormat): string {
  return `/api/invoices/${enc(number)}${format.suffix}`;
}

/** GET /api/invoices/{number}.pdf|.html|… as a file (fetched, so an API key header can go along). */
export async function downloadIssued(number: string, format: IssuedFormat): Promise<Download> {
  const response = await request(issuedFileUrl(number, format), { headers: headers({ Accept: "*/*" }) });
  const blob = await response.blob();
  const filename = filenameFrom(response.headers.get("Content-Disposition")) ?? `${number}${format.suffix}`;
  return { blob, filename };
}

// --- which session was issued as which number (this browser remembers) ---------------------

const ISSUED_KEY = "invoice-agent.issued";

function issuedMap(): Record<string, string> {
  try {
    const raw = localStorage.getItem(ISSUED_KEY);
    const parsed = raw ? (JSON.parse(raw) as unknown) : {};
    return parsed && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The number the session's invoice was issued as, if this browser issued it. */
export function issuedNumberOf(sessionId: string | null): string | null {
  if (!sessionId) return null;
  const number = issuedMap()[sessionId];
  return typeof number === "string" ? number : null;
}

export function rememberIssued(sessionId: string, number: string): void {
  try {
    const map = issuedMap();
    map[sessionId] = number;
    // keep the newest 200: a session lives an hour, this only bridges reloads
    const entries = Object.entries(map).slice(-200);
    localStorage.setItem(ISSUED_KEY, JSON.stringify(Object.fromEntries(entries)));
  } catch {
    // storage full or off: the 409 on a second issue still tells
  }
}

/** "{year}-{seq:04}" -> "2026-0001": what the next number looks like (not which it will be). */
export function patternExample(pattern: string, year: number, seq = 1): string {
  return pattern
    .replace(/\{year\}/g, String(year))
    .replace(/\{seq(?::0?(\d+))?\}/g, (_, width: string | undefined) => String(seq).padStart(width ? parseInt(width, 10) : 1, "0"));
}

export const DEFAULT_INVOICE_PATTERN = "{year}-{seq:04}";
export const DEFAULT_CREDIT_NOTE_PATTERN = "CN-{year}-{seq:04}";

export const STATUS_LABELS: Record<InvoiceStatus, string> = {
  draft: "Draft",
  issued: "Issued",
  paid: "Paid",
  credited: "Credited",
};
