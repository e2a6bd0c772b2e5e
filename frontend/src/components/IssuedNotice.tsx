import { useRef, useState } from "react";
import { humanize, type HumanError } from "../errors";
import { copyInvoice, creditNote, getIssuedInvoice, newIdempotencyKey, STATUS_LABELS, type IssuedInvoice } from "../records";
import { ErrorNotice } from "./ErrorNotice";

interface Props {
  invoice: IssuedInvoice;
  /** The invoice again after a change (credited). */
  onChanged: (invoice: IssuedInvoice) => void;
  /** A credit note was issued. */
  onCredited?: (creditNote: IssuedInvoice) => void;
  /** Open a session in the chat (the copy's new draft). */
  onOpenSession: (sessionId: string) => void;
  /** Open the invoice on the Invoices page. */
  onOpenInvoice?: (number: string) => void;
}

/** In place of the chat's message box once the invoice is issued: it cannot change any more,
 * so this says so and offers what can be done — a credit note, or a copy as a new draft. */
export function IssuedNotice({ invoice, onChanged, onCredited, onOpenSession, onOpenInvoice }: Props) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<"credit" | "copy" | null>(null);
  const [error, setError] = useState<HumanError | null>(null);
  const [credited, setCredited] = useState<string | null>(null);
  const creditKey = useRef<string | null>(null);
  const isCreditNote = invoice.type === "credit_note";
  const canCredit = !isCreditNote && invoice.status !== "credited";

  const credit = async () => {
    if (busy) return;
    creditKey.current ??= newIdempotencyKey();
    setBusy("credit");
    setError(null);
    try {
      const note = await creditNote(invoice.number, creditKey.current);
      setCredited(note.number);
      setConfirming(false);
      onCredited?.(note);
      onChanged(await getIssuedInvoice(invoice.number));
    } catch (e) {
      setError(humanize(e));
    } finally {
      setBusy(null);
    }
  };

  const copy = async () => {
    if (busy) return;
    setBusy("copy");
    setError(null);
    try {
      const { session_id } = await copyInvoice(invoice.number);
      onOpenSession(session_id);
    } catch (e) {
      setError(humanize(e));
      setBusy(null);
    }
  };

  return (
    <div className="issued-notice" role="region" aria-label="Issued invoice">
      <p className="issued-notice-title">
        {isCreditNote ? "Credit note" : "Invoice"} <strong>{invoice.number}</strong> is{" "}
        {STATUS_LABELS[invoice.status].toLowerCase()}.
      </p>
      <p>
        An issued invoice is kept as it is and cannot be edited in the chat any more.
        {canCredit ? " To correct it, issue a credit note that reverses it; to bill again, start from a copy." : " To bill again, start from a copy."}
      </p>
      {credited && (
        <p role="status">
          Credit note <strong>{credited}</strong> issued.
        </p>
      )}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      {confirming ? (
        <div className="issue-confirm" role="group" aria-label="Confirm credit note">
          <p>
            Issue a credit note that reverses {invoice.number} in full? It gets its own number and marks {invoice.number}{" "}
            as credited.
          </p>
          <div className="issue-buttons">
            <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void credit()}>
              {busy === "credit" ? "Issuing…" : "Issue credit note"}
            </button>
            <button type="button" className="btn btn-secondary" disabled={!!busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div className="issue-buttons">
          {!isCreditNote && (
            <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void copy()}>
              {busy === "copy" ? "Copying…" : "Copy as a new draft"}
            </button>
          )}
          {canCredit && (
            <button type="button" className="btn btn-secondary" disabled={!!busy} onClick={() => setConfirming(true)}>
              Credit note…
            </button>
          )}
          {onOpenInvoice && (
            <button type="button" className="btn btn-secondary" onClick={() => onOpenInvoice(invoice.number)}>
              Open in Invoices
            </button>
          )}
        </div>
      )}
    </div>
  );
}
