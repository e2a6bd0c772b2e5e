import { useCallback, useEffect, useRef, useState } from "react";
import { ErrorNotice } from "../components/ErrorNotice";
import { InvoicePreview } from "../components/InvoicePreview";
import { IssuedDownloads } from "../components/IssuedDownloads";
import { humanize, type HumanError } from "../errors";
import { useFetched } from "../useFetched";
import { formatDate } from "../format";
import { formatMoney } from "../money";
import {
  copyInvoice,
  creditNote,
  getIssuedInvoice,
  listClients,
  listInvoices,
  markPaid,
  newIdempotencyKey,
  STATUS_LABELS,
  type Client,
  type InvoiceFilters,
  type InvoiceSummary,
  type IssuedInvoice,
  type Page,
} from "../records";
import { invoicePath } from "../routes";

interface Props {
  locale: string;
  /** The invoice to show, from the path (/invoices/{number}); null for the list. */
  number: string | null;
  onOpenInvoice: (number: string) => void;
  onBack: () => void;
  /** Open a session in the chat (a copy's new draft). */
  onOpenSession: (sessionId: string) => void;
}

export const PER_PAGE = 20;

let listSearch = "";

/** The list's filters as they were last ("?q=acme&status=paid"): "All invoices" goes back to them. */
export function lastListSearch(): string {
  return listSearch;
}

export function InvoicesPage(props: Props) {
  return props.number ? (
    <InvoiceDetail key={props.number} {...props} number={props.number} />
  ) : (
    <InvoiceList locale={props.locale} onOpenInvoice={props.onOpenInvoice} />
  );
}

function filtersFromUrl(): InvoiceFilters {
  const search = new URLSearchParams(window.location.search);
  const status = search.get("status");
  return {
    q: search.get("q") ?? "",
    status: status === "issued" || status === "paid" || status === "credited" ? status : "",
    client_id: search.get("client_id") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
    page: Math.max(1, parseInt(search.get("page") ?? "1", 10) || 1),
  };
}

function StatusBadge({ status }: { status: InvoiceSummary["status"] }) {
  return <span className={`status-badge status-${status}`}>{STATUS_LABELS[status]}</span>;
}

function InvoiceList({ locale, onOpenInvoice }: { locale: string; onOpenInvoice: (number: string) => void }) {
  const [filters, setFilters] = useState<InvoiceFilters>(filtersFromUrl);
  const [query, setQuery] = useState(filters.q ?? "");
  const [clients, setClients] = useState<Client[]>([]);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    listClients("", 1, 200).then((page) => setClients(page.items), () => undefined);
  }, []);

  // the search box applies after a short pause in typing
  useEffect(() => {
    if (query === (filters.q ?? "")) return;
    const timer = setTimeout(() => setFilters((f) => ({ ...f, q: query, page: 1 })), 300);
    return () => clearTimeout(timer);
  }, [query, filters.q]);

  const { result, error, setError, loading } = useFetched<Page<InvoiceSummary>>(
    (signal) => listInvoices({ ...filters, per_page: PER_PAGE }, signal),
    [filters, attempt],
  );

  useEffect(() => {
    // the filters in the address: a reload or a shared link shows the same list
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      if (value && !(key === "page" && value === 1)) params.set(key, String(value));
    }
    const search = params.toString();
    listSearch = search ? `?${search}` : "";
    window.history.replaceState(null, "", `/invoices${listSearch}`);
  }, [filters]);

  const set = (changes: Partial<InvoiceFilters>) => setFilters((f) => ({ ...f, ...changes, page: 1 }));
  const pages = result ? Math.max(1, Math.ceil(result.total / (result.per_page || PER_PAGE))) : 1;
  const page = filters.page ?? 1;
  const filtered = !!(filters.q || filters.status || filters.client_id || filters.from || filters.to);

  return (
    <section className="records-page" aria-labelledby="invoices-title">
      <div className="records-head">
        <h1 id="invoices-title">Invoices</h1>
        <p className="fine">Every invoice and credit note you issued, kept for good.</p>
      </div>
      <form
        className="filters"
        role="search"
        aria-label="Filter invoices"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: query });
        }}
      >
        <label>
          <span>Search</span>
          <input
            type="search"
            value={query}
            placeholder="Number, client or line"
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <label>
          <span>Status</span>
          <select value={filters.status ?? ""} onChange={(e) => set({ status: e.target.value as InvoiceFilters["status"] })}>
            <option value="">Any</option>
            <option value="issued">Issued (unpaid)</option>
            <option value="paid">Paid</option>
            <option value="credited">Credited</option>
          </select>
        </label>
        <label>
          <span>Client</span>
          <select value={filters.client_id ?? ""} onChange={(e) => set({ client_id: e.target.value })}>
            <option value="">Any</option>
            {filters.client_id && !clients.some((c) => c.client_id === filters.client_id) && (
              <option value={filters.client_id}>This client</option>
            )}
            {clients.map((client) => (
              <option key={client.client_id} value={client.client_id}>
                {client.company || client.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>From</span>
          <input type="date" value={filters.from ?? ""} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          <span>To</span>
          <input type="date" value={filters.to ?? ""} onChange={(e) => set({ to: e.target.value })} />
        </label>
        {filtered && (
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => {
              setQuery("");
              setFilters({ page: 1 });
            }}
          >
            Clear filters
          </button>
        )}
      </form>

      {error && <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} onDismiss={() => setError(null)} />}

      <p className="fine" role="status" aria-live="polite">
        {loading ? "Loading…" : result ? `${result.total} ${result.total === 1 ? "invoice" : "invoices"}` : ""}
      </p>

      {result && result.items.length === 0 && !loading && (
        <p className="empty-list">
          {filtered ? "No invoice matches these filters." : "No invoices yet: issue one from the chat and it appears here."}
        </p>
      )}
      {result && result.items.length > 0 && (
        <div className="table-scroll">
          <table className="records-table">
            <caption className="visually-hidden">Invoices, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Date</th>
                <th scope="col">Client</th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {result.items.map((item) => (
                <tr key={item.number} data-testid="invoice-row">
                  <th scope="row">
                    <a
                      href={invoicePath(item.number)}
                      onClick={(e) => {
                        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                        e.preventDefault();
                        onOpenInvoice(item.number);
                      }}
                    >
                      {item.number}
                    </a>
                    {item.type === "credit_note" && <span className="fine"> credit note</span>}
                  </th>
                  <td>{item.issue_date ? <time dateTime={item.issue_date}>{formatDate(item.issue_date, locale)}</time> : ""}</td>
                  <td>{item.buyer ?? ""}</td>
                  <td className="num">{formatMoney(item.total, item.currency, locale)}</td>
                  <td>
                    <StatusBadge status={item.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {result && pages > 1 && (
        <nav className="pagination" aria-label="Pages">
          <button
            type="button"
            className="btn btn-secondary"
            disabled={page <= 1 || loading}
            onClick={() => setFilters((f) => ({ ...f, page: page - 1 }))}
          >
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={page >= pages || loading}
            onClick={() => setFilters((f) => ({ ...f, page: page + 1 }))}
          >
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function InvoiceDetail({ number, locale, onBack, onOpenInvoice, onOpenSession }: Props & { number: string }) {
  const [invoice, setInvoice] = useState<IssuedInvoice | null>(null);
  const [error, setError] = useState<HumanError | null>(null);
  const [busy, setBusy] = useState<"paid" | "credit" | "copy" | null>(null);
  const [confirmCredit, setConfirmCredit] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const creditKey = useRef<string | null>(null);

  const load = useCallback(
    (signal?: AbortSignal) =>
      getIssuedInvoice(number, signal).then(
        (found) => {
          setInvoice(found);
          setError(null);
        },
        (e) => {
          if (e instanceof DOMException && e.name === "AbortError") return;
          setError(humanize(e));
        },
      ),
    [number],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const act = async (kind: "paid" | "credit" | "copy") => {
    if (busy) return;
    setBusy(kind);
    setError(null);
    setNotice(null);
    try {
      if (kind === "paid") {
        setInvoice(await markPaid(number));
        setNotice(`${number} is marked as paid.`);
      } else if (kind === "credit") {
        creditKey.current ??= newIdempotencyKey();
        const note = await creditNote(number, creditKey.current);
        setConfirmCredit(false);
        setNotice(`Credit note ${note.number} issued: ${number} is credited.`);
        await load();
      } else {
        const { session_id } = await copyInvoice(number);
        onOpenSession(session_id);
        return;
      }
    } catch (e) {
      setError(humanize(e));
    } finally {
      setBusy(null);
    }
  };

  const isInvoice = invoice?.type !== "credit_note";
  const link = (target: string) => (
    <a
      href={invoicePath(target)}
      onClick={(e) => {
        e.preventDefault();
        onOpenInvoice(target);
      }}
    >
      {target}
    </a>
  );

  return (
    <section className="records-page invoice-detail" aria-labelledby="invoice-detail-title">
      <div className="records-head">
        <a
          href="/invoices"
          className="back-link"
          onClick={(e) => {
            e.preventDefault();
            onBack();
          }}
        >
          ← All invoices
        </a>
        <h1 id="invoice-detail-title">
          {invoice?.type === "credit_note" ? "Credit note" : "Invoice"} {number}
        </h1>
      </div>
      {error && <ErrorNotice error={error} onRetry={() => void load()} onDismiss={() => setError(null)} />}
      {notice && (
        <p className="notice notice-info" role="status">
          {notice}
        </p>
      )}
      {invoice && (
        <>
          <dl className="record-facts">
            <div>
              <dt>Status</dt>
              <dd data-testid="record-status">
                <StatusBadge status={invoice.status} />
                {invoice.paid_at ? ` on ${formatDate(invoice.paid_at.slice(0, 10), locale)}` : ""}
              </dd>
            </div>
            {invoice.credits && (
              <div>
                <dt>Credits</dt>
                <dd>{link(invoice.credits)}</dd>
              </div>
            )}
            {invoice.credit_note_numbers && invoice.credit_note_numbers.length > 0 && (
              <div>
                <dt>Credit notes</dt>
                <dd>
                  {invoice.credit_note_numbers.map((n, i) => (
                    <span key={n}>
                      {i > 0 ? ", " : ""}
                      {link(n)}
                    </span>
                  ))}
                </dd>
              </div>
            )}
          </dl>
          <div className="record-actions" role="toolbar" aria-label="Invoice actions">
            {isInvoice && invoice.status === "issued" && (
              <button type="button" className="btn btn-secondary" disabled={!!busy} onClick={() => void act("paid")}>
                {busy === "paid" ? "Saving…" : "Mark paid"}
              </button>
            )}
            {isInvoice && invoice.status !== "credited" && !confirmCredit && (
              <button type="button" className="btn btn-secondary" disabled={!!busy} onClick={() => setConfirmCredit(true)}>
                Credit note…
              </button>
            )}
            {isInvoice && (
              <button type="button" className="btn btn-secondary" disabled={!!busy} onClick={() => void act("copy")}>
                {busy === "copy" ? "Copying…" : "Copy as a new draft"}
              </button>
            )}
          </div>
          {confirmCredit && (
            <div className="issue-confirm" role="group" aria-label="Confirm credit note">
              <p>
                Issue a credit note that reverses {number} in full? It gets its own number and {number} becomes credited.
                This cannot be undone.
              </p>
              <div className="issue-buttons">
                <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void act("credit")}>
                  {busy === "credit" ? "Issuing…" : "Issue credit note"}
                </button>
                <button type="button" className="btn btn-secondary" disabled={!!busy} onClick={() => setConfirmCredit(false)}>
                  Cancel
                </button>
              </div>
            </div>
          )}
          <h2 className="downloads-title">Download</h2>
          <IssuedDownloads number={number} />
          <div className="canvas record-canvas">
            <InvoicePreview invoice={invoice} locale={locale} />
          </div>
        </>
      )}
    </section>
  );
}
