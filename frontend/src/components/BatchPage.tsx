import { useCallback, useEffect, useRef, useState } from "react";
import {
  ApiError,
  cancelBatch,
  createBatch,
  downloadBatchInvoices,
  downloadBatchResults,
  getBatch,
  saveFile,
  type ZipProgress,
  type BatchRequestItem,
} from "../api";
import { humanize, type HumanError } from "../errors";
import { addDecimals, formatMoney } from "../money";
import type { Batch, BatchItem } from "../types";
import { ErrorNotice } from "./ErrorNotice";

const PER_PAGE = 100;
const POLL_MS = 1000;
const SLOW_POLL_MS = 3000;

const EXAMPLE = [
  "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days",
  "Invoice Globex for 3 x security audit @ $1,200 each, net 15",
].join("\n");

/** One request per non-empty line. */
export function linesToItems(text: string): BatchRequestItem[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((message) => ({ message }));
}

function finished(batch: Batch): number {
  const c = batch.counts;
  return (c.succeeded ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);
}

const isFinal = (batch: Batch) => batch.status === "completed" || batch.status === "cancelled";

function batchIdFromUrl(): string | null {
  return new URLSearchParams(window.location.search).get("id");
}

function setBatchIdInUrl(id: string | null) {
  const url = new URL(window.location.href);
  if (id) url.searchParams.set("id", id);
  else url.searchParams.delete("id");
  window.history.replaceState(null, "", url);
}

function buyerName(buyer: BatchItem["buyer"]): string {
  if (!buyer) return "";
  if (typeof buyer === "string") return buyer;
  return (buyer as { name?: string }).name ?? "";
}

function itemError(error: BatchItem["error"]): string {
  if (!error) return "";
  if (typeof error === "string") return error;
  return error.message || error.code;
}

/**
 * A JSON batch's bad rows are numbered from 0 by the server; the person counts the lines
 * they pasted from 1 ("items" → "line N"). A CSV's rows already carry spreadsheet numbers.
 */
export function asLineNumbers(error: unknown): unknown {
  if (error instanceof ApiError && error.code === "validation_error" && error.details.rows) {
    const { rows, ...rest } = error.details;
    return new ApiError(error.status, { code: error.code, message: error.message, details: { ...rest, items: rows } });
  }
  return error;
}

/** Sums of the succeeded items' totals, one per currency, added exactly. */
export function totalsByCurrency(items: BatchItem[]): [string, string][] {
  const groups = new Map<string, string[]>();
  for (const item of items) {
    if (item.status !== "succeeded" || !item.total || !item.currency) continue;
    groups.set(item.currency, [...(groups.get(item.currency) ?? []), item.total]);
  }
  return [...groups.entries()].map(([currency, totals]) => [currency, addDecimals(totals)]);
}

const STATUS_LABEL: Record<string, string> = {
  queued: "Queued",
  running: "Working",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
  expired: "Expired",
  completed: "Completed",
};

export function BatchPage({ locale, onOpenSession }: { locale: string; onOpenSession: (sessionId: string) => void }) {
  const [text, setText] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [issue, setIssue] = useState(false);
  const [batchId, setBatchId] = useState<string | null>(batchIdFromUrl);
  const [batch, setBatch] = useState<Batch | null>(null);
  const [zipProgress, setZipProgress] = useState<ZipProgress | null>(null);
  const [page, setPage] = useState(1);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<HumanError | null>(null);
  const [pollError, setPollError] = useState<HumanError | null>(null);
  const [pollKick, setPollKick] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const items = linesToItems(text);

  // Follow the batch until it is completed or cancelled.
  useEffect(() => {
    if (!batchId) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async () => {
      try {
        const next = await getBatch(batchId, page, PER_PAGE, controller.signal);
        setBatch(next);
        setPollError(null);
        if (!isFinal(next)) {
          timer = setTimeout(poll, Date.now() - started > 30_000 ? SLOW_POLL_MS : POLL_MS);
        }
      } catch (e) {
        if (e instanceof DOMException && e.name === "AbortError") return;
        setPollError(humanize(e));
      }
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [batchId, page, pollKick]);

  const submit = async () => {
    if (submitting || (!file && items.length === 0)) return;
    setSubmitting(true);
    setError(null);
    try {
      const accepted = await createBatch(file ?? items, { issue });
      setBatch(null);
      setPage(1);
      setBatchId(accepted.batch_id);
      setBatchIdInUrl(accepted.batch_id);
    } catch (e) {
      setError(humanize(file ? e : asLineNumbers(e)));
    } finally {
      setSubmitting(false);
    }
  };

  const reset = useCallback(() => {
    setBatchId(null);
    setBatch(null);
    setPollError(null);
    setBatchIdInUrl(null);
  }, []);

  const download = async (what: "results" | "invoices") => {
    if (!batch) return;
    try {
      if (what === "results") {
        saveFile(await downloadBatchResults(batch));
        return;
      }
      setZipProgress({ status: "building", done: 0, total: batch.counts.succeeded ?? 0 });
      saveFile(await downloadBatchInvoices(batch, setZipProgress));
    } catch (e) {
      setPollError(humanize(e));
    } finally {
      if (what === "invoices") setZipProgress(null);
    }
  };

  const cancel = async () => {
    if (!batchId) return;
    try {
      const cancelled = await cancelBatch(batchId);
      setBatch((current) => (current ? { ...current, status: cancelled.status, counts: cancelled.counts } : cancelled));
    } catch (e) {
      setPollError(humanize(e));
    }
  };
  const unfinished = (batch?.status === "queued" || batch?.status === "running") && !batch?.issuing;

  const done = batch ? finished(batch) : 0;
  const total = batch?.total ?? 0;
  const pages = batch?.pages ?? Math.max(1, Math.ceil(total / (batch?.per_page ?? PER_PAGE)));
  const sums = batch ? totalsByCurrency(batch.items) : [];
  const references = !!batch?.items.some((item) => item.reference);
  const issuedCount = batch?.issued ?? 0;
  const toIssue = batch?.counts.succeeded ?? 0;

  return (
    <div className="batch-page">
      <header className="page-head">
        <h1>Batch invoices</h1>
        <p className="muted">Many invoices at once: one request per line, or a CSV with a <code>message</code> column (and an optional <code>reference</code>).</p>
      </header>

      {!batchId && (
        <form
          className="card batch-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label htmlFor="batch-lines" className="field-label">
            Requests, one per line
          </label>
          <textarea
            id="batch-lines"
            rows={8}
            value={text}
            disabled={!!file || submitting}
            onChange={(e) => setText(e.target.value)}
            placeholder={EXAMPLE}
          />
          <div className="batch-or">
            <span>or</span>
          </div>
          <div className="file-row">
            <label htmlFor="batch-file" className="field-label">
              Upload a CSV file
            </label>
            <input
              id="batch-file"
              ref={fileInput}
              type="file"
              accept=".csv,text/csv"
              disabled={submitting}
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
            {file && (
              <button
                type="button"
                className="btn btn-ghost btn-small"
                onClick={() => {
                  setFile(null);
                  if (fileInput.current) fileInput.current.value = "";
                }}
              >
                Remove file
              </button>
            )}
          </div>
          <div className="batch-issue">
            <label className="checkbox">
              <input
                type="checkbox"
                checked={issue}
                disabled={submitting}
                onChange={(e) => setIssue(e.target.checked)}
                aria-describedby="batch-issue-note"
              />{" "}
              Issue every invoice
            </label>
            <p id="batch-issue-note" className={issue ? "notice notice-warn batch-issue-note" : "hint batch-issue-note"}>
              Once every item has finished, each invoice made gets its number, in item order. Issued invoices cannot be
              changed afterwards (only credited).
            </p>
          </div>
          {error && <ErrorNotice error={error} onRetry={() => void submit()} onDismiss={() => setError(null)} />}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={submitting || (!file && items.length === 0)}>
              {submitting
                ? "Submitting…"
                : file
                  ? `Generate invoices from ${file.name}`
                  : items.length
                    ? `Generate ${issue ? "and issue " : ""}${items.length} invoice${items.length === 1 ? "" : "s"}`
                    : "Generate invoices"}
            </button>
          </div>
        </form>
      )}

      {batchId && (
        <section className="card batch-status" aria-labelledby="batch-title">
          <div className="batch-status-head">
            <h2 id="batch-title">
              Batch <code>{batchId.slice(0, 8)}</code> ·{" "}
              {batch?.issuing ? "Issuing" : (STATUS_LABEL[batch?.status ?? "queued"] ?? batch?.status)}
            </h2>
            <div className="batch-actions">
              <button type="button" className="btn btn-secondary" onClick={() => void download("results")} disabled={!batch}>
                Download results (CSV)
              </button>
              <button
                type="button"
                className="btn btn-secondary"
                onClick={() => void download("invoices")}
                disabled={!batch?.counts.succeeded || zipProgress !== null}
              >
                {zipProgress
                  ? `Preparing the ZIP… ${zipProgress.done} of ${zipProgress.total}`
                  : "Download PDFs (ZIP)"}
              </button>
              {unfinished && (
                <button type="button" className="btn btn-ghost" onClick={() => void cancel()}>
                  Cancel the rest
                </button>
              )}
              <button type="button" className="btn btn-ghost" onClick={reset}>
                New batch
              </button>
            </div>
          </div>
          <div className="progress-row">
            <progress
              id="batch-progress"
              max={Math.max(total, 1)}
              value={done}
              aria-label="Batch progress"
              aria-valuetext={`${done} of ${total} finished`}
            />
            <span className="progress-text" data-testid="batch-progress-text">
              {batch ? `${done} of ${total} finished` : "Starting…"}
            </span>
          </div>
          {batch && (
            <ul className="counts" aria-label="Items by status">
              {(["succeeded", "failed", "running", "queued", "cancelled"] as const).map((key) =>
                batch.counts[key] ? (
                  <li key={key} className={`chip chip-${key}`}>
                    {batch.counts[key]} {STATUS_LABEL[key].toLowerCase()}
                  </li>
                ) : null,
              )}
            </ul>
          )}
          {batch?.issue && (
            <p className="batch-issued" role="status" data-testid="batch-issued">
              {batch.issuing
                ? `Issuing the invoices in item order… ${issuedCount} of ${toIssue} issued`
                : batch.status === "completed"
                  ? `${issuedCount} invoice${issuedCount === 1 ? "" : "s"} issued`
                  : "The invoices get their numbers, in item order, once every item has finished."}
            </p>
          )}
          {pollError && <ErrorNotice error={pollError} onRetry={() => setPollKick((k) => k + 1)} onDismiss={() => setPollError(null)} />}
          {batch && batch.items.length > 0 && (
            <div className="table-wrap">
              <table className="results">
                <caption className="visually-hidden">Batch results</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    {references && <th scope="col">Reference</th>}
                    <th scope="col">Status</th>
                    <th scope="col">Invoice</th>
                    <th scope="col">Client</th>
                    <th scope="col" className="num">
                      Total
                    </th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {batch.items.map((item, index) => (
                    <tr key={item.job_id || index} className={`row-${item.status}`}>
                      <td className="muted">{(page - 1) * (batch.per_page ?? PER_PAGE) + index + 1}</td>
                      {references && <td>{item.reference ?? ""}</td>}
                      <td>
                        <span className={`chip chip-${item.status}`}>{STATUS_LABEL[item.status] ?? item.status}</span>
                        {item.error && <span className="row-error">{itemError(item.error)}</span>}
                      </td>
                      <td data-testid="batch-invoice-number">
                        {item.invoice_number ?? (batch.issue && item.status === "succeeded" ? <span className="muted">Draft</span> : "")}
                      </td>
                      <td>{buyerName(item.buyer)}</td>
                      <td className="num">{item.total && item.currency ? formatMoney(item.total, item.currency, locale) : ""}</td>
                      <td>
                        {item.status === "succeeded" && item.session_id && (
                          <button type="button" className="btn btn-link" onClick={() => onOpenSession(item.session_id)}>
                            Open<span className="visually-hidden"> {item.invoice_number ?? "invoice"} in the chat</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
                {sums.length > 0 && (
                  <tfoot>
                    {sums.map(([currency, sum]) => (
                      <tr key={currency}>
                        <th scope="row" colSpan={references ? 5 : 4}>
                          Total of finished invoices{pages > 1 ? " on this page" : ""} ({currency})
                        </th>
                        <td className="num">{formatMoney(sum, currency, locale)}</td>
                        <td />
                      </tr>
                    ))}
                  </tfoot>
                )}
              </table>
            </div>
          )}
          {pages > 1 && (
            <nav className="pager" aria-label="Result pages">
              <button type="button" className="btn btn-ghost btn-small" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
                Previous
              </button>
              <span>
                Page {page} of {pages}
              </span>
              <button type="button" className="btn btn-ghost btn-small" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
                Next
              </button>
            </nav>
          )}
        </section>
      )}
    </div>
  );
}
