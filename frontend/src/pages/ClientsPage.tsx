import { useEffect, useState } from "react";
import { ApiError } from "../api";
import { ErrorNotice } from "../components/ErrorNotice";
import { fieldErrors, FormFields, PARTY_FIELDS, text } from "../components/FormFields";
import { humanize, type HumanError } from "../errors";
import { useFetched } from "../useFetched";
import { formatDate } from "../format";
import { deleteClient, listClients, patchClient, type Client, type Page } from "../records";
import type { Party } from "../types";

export const CLIENTS_PER_PAGE = 50;

interface Props {
  locale: string;
  onShowInvoices: (clientId: string) => void;
}

export function ClientsPage({ locale, onShowInvoices }: Props) {
  const [query, setQuery] = useState("");
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [reload, setReload] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [status, setStatus] = useState("");

  useEffect(() => {
    const timer = setTimeout(() => {
      setQ(query.trim());
      setPage(1);
    }, 300);
    return () => clearTimeout(timer);
  }, [query]);

  const { result, setResult, error, setError, loading } = useFetched<Page<Client>>(
    (signal) => listClients(q, page, CLIENTS_PER_PAGE, signal),
    [q, page, reload],
  );

  const remove = async (client: Client) => {
    try {
      await deleteClient(client.client_id);
      setDeleting(null);
      setStatus(`${client.company || client.name} deleted. Their invoices keep the buyer's details.`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(humanize(e));
    }
  };

  const pages = result ? Math.max(1, Math.ceil(result.total / (result.per_page || CLIENTS_PER_PAGE))) : 1;
  return (
    <section className="records-page" aria-labelledby="clients-title">
      <div className="records-head">
        <h1 id="clients-title">Clients</h1>
        <p className="fine">Everyone you invoiced, remembered from your issued invoices. Name one in the chat to fill in their details.</p>
      </div>
      <form className="filters" role="search" aria-label="Search clients" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Search</span>
          <input type="search" value={query} placeholder="Name, company, e-mail or VAT ID" onChange={(e) => setQuery(e.target.value)} />
        </label>
      </form>
      {error && <ErrorNotice error={error} onRetry={() => setReload((n) => n + 1)} onDismiss={() => setError(null)} />}
      <p className="fine" role="status" aria-live="polite">
        {status || (loading ? "Loading…" : result ? `${result.total} ${result.total === 1 ? "client" : "clients"}` : "")}
      </p>
      {result && result.items.length === 0 && !loading && (
        <p className="empty-list">{q ? "No client matches this search." : "No clients yet: they are remembered when you issue an invoice."}</p>
      )}
      <ul className="client-list">
        {result?.items.map((client) => (
          <li key={client.client_id} className="client-card" data-testid="client">
            {editing === client.client_id ? (
              <ClientEditor
                client={client}
                onSaved={(updated) => {
                  setEditing(null);
                  setStatus(`${updated.company || updated.name} saved.`);
                  setResult((r) => (r ? { ...r, items: r.items.map((c) => (c.client_id === updated.client_id ? updated : c)) } : r));
                }}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <>
                <div className="client-main">
                  <h2 className="client-name">{client.company || client.name}</h2>
                  {client.company && client.name !== client.company && <span>{client.name}</span>}
                  {client.email && <span>{client.email}</span>}
                  {client.tax_id && <span>VAT ID {client.tax_id}</span>}
                  {client.address && <span className="client-address">{client.address}</span>}
                  <span className="fine">
                    {client.invoice_count ?? 0} {client.invoice_count === 1 ? "invoice" : "invoices"}
                    {client.last_invoice_number ? ` · last ${client.last_invoice_number}` : ""}
                    {client.last_invoiced_at ? ` on ${formatDate(client.last_invoiced_at.slice(0, 10), locale)}` : ""}
                  </span>
                </div>
                {deleting === client.client_id ? (
                  <div className="issue-confirm" role="group" aria-label={`Delete ${client.company || client.name}`}>
                    <p>Forget {client.company || client.name}? Their issued invoices are kept as they are.</p>
                    <div className="issue-buttons">
                      <button type="button" className="btn btn-danger" onClick={() => void remove(client)}>
                        Delete
                      </button>
                      <button type="button" className="btn btn-secondary" onClick={() => setDeleting(null)}>
                        Cancel
                      </button>
                    </div>
                  </div>
                ) : (
                  <div className="client-actions">
                    <button
                      type="button"
                      className="btn btn-secondary"
                      aria-label={`Invoices of ${client.company || client.name}`}
                      onClick={() => onShowInvoices(client.client_id)}
                    >
                      Invoices
                    </button>
                    <button
                      type="button"
                      className="btn btn-secondary"
                      aria-label={`Edit ${client.company || client.name}`}
                      onClick={() => {
                        setEditing(client.client_id);
                        setStatus("");
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="btn btn-secondary"
                      aria-label={`Delete ${client.company || client.name}`}
                      onClick={() => {
                        setDeleting(client.client_id);
                        setStatus("");
                      }}
                    >
                      Delete
                    </button>
                  </div>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
      {result && pages > 1 && (
        <nav className="pagination" aria-label="Pages">
          <button type="button" className="btn btn-secondary" disabled={page <= 1 || loading} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" className="btn btn-secondary" disabled={page >= pages || loading} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function ClientEditor({ client, onSaved, onCancel }: { client: Client; onSaved: (c: Client) => void; onCancel: () => void }) {
  const initial = Object.fromEntries(PARTY_FIELDS.map((f) => [f.name, text(client[f.name as keyof Party])]));
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [problem, setProblem] = useState<HumanError | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async () => {
    const changes: Record<string, string | null> = {};
    for (const field of PARTY_FIELDS) {
      const after = (values[field.name] ?? "").trim();
      if (after !== initial[field.name]) changes[field.name] = after === "" ? null : after;
    }
    if (!Object.keys(changes).length) return onCancel();
    setSaving(true);
    setProblem(null);
    try {
      onSaved(await patchClient(client.client_id, changes as Partial<Party>));
    } catch (e) {
      const fields = e instanceof ApiError && e.code === "validation_error" ? fieldErrors(e.details) : {};
      setErrors(fields);
      if (!Object.keys(fields).length) setProblem(humanize(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="client-editor"
      aria-label={`Edit ${client.company || client.name}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <FormFields
        prefix="client"
        fields={PARTY_FIELDS}
        values={values}
        errors={errors}
        onChange={(name, value) => setValues((v) => ({ ...v, [name]: value }))}
      />
      {problem && <ErrorNotice error={problem} onDismiss={() => setProblem(null)} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : "Save client"}
        </button>
        <button type="button" className="btn btn-secondary" disabled={saving} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
