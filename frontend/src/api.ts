// The HTTP API client. Same origin: the API serves the built UI, and `make dev` proxies /api.
import { turnForm } from "./attachmentsApi";
import { parseVisibleJson } from "./text";
import type { Batch, ErrorBody, Job, JobAccepted, Session } from "./types";

/** An error answer of the API, or a network failure (status 0, code "network_error"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** Seconds, from Retry-After on a 429. */
  readonly retryAfter: number | null;

  constructor(status: number, body: ErrorBody, retryAfter: number | null = null) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.details = body.details ?? {};
    this.retryAfter = retryAfter;
  }
}

const KEY_STORAGE = "invoice-agent.api-key";

export function getApiKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = getApiKey();
  return { Accept: "application/json", ...(key ? { "X-API-Key": key } : {}), ...extra };
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return parseInt(value, 10);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: ErrorBody | undefined;
  try {
    const json = await response.json();
    if (json && typeof json.error === "object" && typeof json.error.code === "string") body = json.error;
  } catch {
    // not our JSON error shape (a proxy's page, say): described by the status below
  }
  return new ApiError(
    response.status,
    body ?? { code: fallbackCode(response.status), message: response.statusText || "Request failed" },
    parseRetryAfter(response.headers.get("Retry-After")),
  );
}

function fallbackCode(status: number): string {
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status === 502 || status === 503 || status === 504) return "unavailable";
  return status >= 500 ? "internal_error" : "http_error";
}

function networkError(error: unknown): ApiError {
  return new ApiError(0, {
    code: "network_error",
    message: error instanceof Error ? error.message : "The request failed.",
  });
}

/** Reads (polls, session reads, downloads) that the API asks to slow down (429) are asked
 * again after Retry-After, a few times, before the error shows: a person editing quickly never
 * sees it. A turn (POST) is not re-sent behind the person's back: the chat shows when they can
 * send again (errors.ts). */
export const RATE_LIMIT_RETRY = { maxWaitSeconds: 30, attempts: 3 };

function sleep(seconds: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("Aborted", "AbortError"));
    });
  });
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw networkError(error);
    }
    if (response.ok) return response;
    const error = await errorFrom(response);
    const wait = error.retryAfter ?? 1;
    const isRead = (init.method ?? "GET").toUpperCase() === "GET";
    if (
      error.status !== 429 ||
      !isRead ||
      attempt >= RATE_LIMIT_RETRY.attempts ||
      wait > RATE_LIMIT_RETRY.maxWaitSeconds
    ) {
      throw error;
    }
    await sleep(Math.max(wait, 0.5), init.signal);  // nothing was done: asking again is safe
  }
}

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, { ...init, headers: headers(init.headers as Record<string, string>) });
  return parseVisibleJson<T>(await response.text());
}

export type TurnKind = "generate" | "chat";

/** POST /api/generate-invoice (a new invoice) or /api/chat (edit it): 202 with the job.
 * With files, the body is multipart/form-data (attachmentsApi.ts). */
export function startTurn(kind: TurnKind, message: string, sessionId: string | null, files: readonly File[] = []): Promise<JobAccepted> {
  const path = kind === "generate" ? "/api/generate-invoice" : "/api/chat";
  if (files.length) return json<JobAccepted>(path, { method: "POST", body: turnForm(message, sessionId, files) });
  return json<JobAccepted>(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(sessionId ? { message, session_id: sessionId } : { message }),
  });
}

/** GET /api/jobs/{id}?wait=N: answers when the job is final or N seconds have passed. */
export function getJob(jobId: string, wait: number, signal?: AbortSignal): Promise<Job> {
  return json<Job>(`/api/jobs/${encodeURIComponent(jobId)}?wait=${wait}`, { signal });
}

export function getSession(sessionId: string, signal?: AbortSignal): Promise<Session> {
  return json<Session>(`/api/session/${encodeURIComponent(sessionId)}`, { signal });
}

export async function deleteSession(sessionId: string): Promise<void> {
  await request(`/api/session/${encodeURIComponent(sessionId)}`, { method: "DELETE", headers: headers() });
}

export interface ExportFormat {
  id: "pdf" | "json" | "ubl" | "cii" | "facturx";
  label: string;
  hint: string;
  suffix: string; // appended to /api/session/{id}/invoice
  extension: string;
}

export const EXPORT_FORMATS: ExportFormat[] = [
  { id: "pdf", label: "PDF", hint: "To send or archive", suffix: ".pdf", extension: ".pdf" },
  { id: "facturx", label: "Factur-X PDF", hint: "PDF/A-3 with the e-invoice inside", suffix: ".facturx.pdf", extension: ".facturx.pdf" },
  { id: "ubl", label: "UBL 2.1 XML", hint: "EN 16931 e-invoice (Peppol)", suffix: ".ubl.xml", extension: ".ubl.xml" },
  { id: "cii", label: "CII XML", hint: "EN 16931 e-invoice (UN/CEFACT)", suffix: ".cii.xml", extension: ".cii.xml" },
  { id: "json", label: "JSON", hint: "The invoice data", suffix: "", extension: ".json" },
];

export interface Download {
  blob: Blob;
  filename: string;
}

/** The file name from Content-Disposition (filename* or filename), if any. */
export function filenameFrom(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(disposition);
  return plain ? (plain[2] ?? plain[1]).trim() : null;
}

/** GET /api/session/{id}/invoice[.pdf|.ubl.xml|…] as a file. */
export async function downloadInvoice(
  sessionId: string,
  format: ExportFormat,
  invoiceNumber: string | null | undefined,
): Promise<Download> {
  const response = await request(`/api/session/${encodeURIComponent(sessionId)}/invoice${format.suffix}`, {
    headers: headers({ Accept: "*/*" }),
  });
  const blob = await response.blob();
  const filename =
    filenameFrom(response.headers.get("Content-Disposition")) ?? `${invoiceNumber || "invoice"}${format.extension}`;
  return { blob, filename };
}

export interface BatchRequestItem {
  message: string;
  reference?: string;
}

/** POST /api/batches with JSON items, or a CSV file as multipart/form-data (field "file").
 * `issue`: issue every succeeded item's invoice once all are final, numbered in item order
 * (JSON `"issue": true`, or the form field `issue=true`); left out when false. */
export function createBatch(input: BatchRequestItem[] | File, { issue = false }: { issue?: boolean } = {}): Promise<Batch> {
  if (input instanceof File) {
    const form = new FormData();
    form.append("file", input, input.name);
    if (issue) form.append("issue", "true");
    return json<Batch>("/api/batches", { method: "POST", body: form });
  }
  return json<Batch>("/api/batches", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(issue ? { items: input, issue: true } : { items: input }),
  });
}

export function getBatch(batchId: string, page = 1, perPage = 100, signal?: AbortSignal): Promise<Batch> {
  return json<Batch>(`/api/batches/${encodeURIComponent(batchId)}?page=${page}&per_page=${perPage}`, { signal });
}

export function batchResultsUrl(batch: Pick<Batch, "batch_id" | "results_url">): string {
  return batch.results_url || `/api/batches/${encodeURIComponent(batch.batch_id)}/results.csv`;
}

/** GET results.csv as a file (fetched, so an API key header can go along). */
export async function downloadBatchResults(batch: Pick<Batch, "batch_id" | "results_url">): Promise<Download> {
  const response = await request(batchResultsUrl(batch), { headers: headers({ Accept: "text/csv,*/*" }) });
  const blob = await response.blob();
  const filename =
    filenameFrom(response.headers.get("Content-Disposition")) ?? `batch-${batch.batch_id.slice(0, 8)}-results.csv`;
  return { blob, filename };
}

/** What a worker has put in a batch's ZIP so far (202 from invoices.zip). */
export interface ZipProgress {
  status: "building";
  done: number;
  total: number;
}

/** GET the ZIP of the batch's invoice PDFs (fetched, so an API key header can go along). A
 * worker makes it first: while it does, the API answers 202 with its progress, and this asks
 * again after Retry-After, telling `onProgress`. */
export async function downloadBatchInvoices(
  batch: Pick<Batch, "batch_id" | "invoices_url">,
  onProgress: (progress: ZipProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<Download> {
  const url = batch.invoices_url || `/api/batches/${encodeURIComponent(batch.batch_id)}/invoices.zip`;
  let response = await request(url, { headers: headers({ Accept: "application/zip,*/*" }), signal });
  while (response.status === 202) {
    onProgress(parseVisibleJson<ZipProgress>(await response.text()));
    const wait = Number(response.headers.get("Retry-After")) || 2;
    await sleep(Math.min(Math.max(wait, 0.5), 10), signal);
    response = await request(url, { headers: headers({ Accept: "application/zip,*/*" }), signal });
  }
  const blob = await response.blob();
  const filename =
    filenameFrom(response.headers.get("Content-Disposition")) ?? `batch-${batch.batch_id.slice(0, 8)}-invoices.zip`;
  return { blob, filename };
}

/** DELETE the batch: items not started are cancelled, running ones finish. */
export function cancelBatch(batchId: string): Promise<Batch> {
  return json<Batch>(`/api/batches/${encodeURIComponent(batchId)}`, { method: "DELETE" });
}

/** Hands a downloaded file to the browser. */
export function saveFile({ blob, filename }: Download): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.rel = "noopener";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
