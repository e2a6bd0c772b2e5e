import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api";
import { humanize, type HumanError } from "../errors";
import {
  DEFAULT_INVOICE_PATTERN,
  getIssuedInvoice,
  getProfile,
  issueSession,
  newIdempotencyKey,
  patternExample,
  type IssuedInvoice,
} from "../records";
import { ErrorNotice } from "./ErrorNotice";

interface Props {
  sessionId: string | null;
  /** The draft can be issued now (there is one, and no turn is running). */
  enabled: boolean;
  onIssued: (invoice: IssuedInvoice) => void;
  /** Today's year, for the example number (tests pin it). */
  year?: number;
}

type State =
  | { kind: "closed" }
  | { kind: "confirm"; key: string; pattern: string | null }
  | { kind: "issuing"; key: string; pattern: string | null }
  | { kind: "error"; key: string; pattern: string | null; error: HumanError };

/** "Issue invoice": a confirmation that says what happens, then one POST with an
 * Idempotency-Key made when the confirmation opened — a double click, a retry after a lost
 * answer, issue once. */
export function IssueAction({ sessionId, enabled, onIssued, year = new Date().getFullYear() }: Props) {
  const [state, setState] = useState<State>({ kind: "closed" });
  const inFlight = useRef(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);

  // A new session: whatever was being confirmed was for the old one.
  useEffect(() => setState({ kind: "closed" }), [sessionId]);

  useEffect(() => {
    if (state.kind === "confirm") confirmRef.current?.focus();
  }, [state.kind]);

  const open = () => {
    const key = newIdempotencyKey();
    setState({ kind: "confirm", key, pattern: null });
    getProfile()
      .then((profile) => {
        const pattern = profile.numbering?.invoice_pattern || DEFAULT_INVOICE_PATTERN;
        setState((s) => (s.kind !== "closed" && s.key === key ? { ...s, pattern } : s));
      })
      .catch(() => undefined); // the confirmation then just says "the next number"
  };

  const close = () => {
    setState({ kind: "closed" });
    requestAnimationFrame(() => openerRef.current?.focus());
  };

  const issue = async () => {
    if (!sessionId || state.kind === "closed" || inFlight.current) return;
    inFlight.current = true;
    const { key, pattern } = state;
    setState({ kind: "issuing", key, pattern });
    try {
      const issued = await issueSession(sessionId, key);
      setState({ kind: "closed" });
      onIssued(issued);
    } catch (e) {
      if (e instanceof ApiError && e.code === "invoice_issued" && typeof e.details.number === "string") {
        // issued already (another tab, or before a reload): show it as it is
        try {
          const issued = await getIssuedInvoice(e.details.number);
          setState({ kind: "closed" });
          onIssued(issued);
          return;
        } catch (inner) {
          setState({ kind: "error", key, pattern, error: humanize(inner) });
          return;
        }
      }
      setState({ kind: "error", key, pattern, error: humanize(e) });
    } finally {
      inFlight.current = false;
    }
  };

  if (state.kind === "closed") {
    return (
      <button
        type="button"
        ref={openerRef}
        className="btn btn-primary issue-open"
        disabled={!enabled || !sessionId}
        onClick={open}
      >
        Issue invoice
      </button>
    );
  }

  const busy = state.kind === "issuing";
  const example = state.pattern ? patternExample(state.pattern, year) : null;
  return (
    <div
      className="issue-confirm"
      role="dialog"
      aria-modal="false"
      aria-labelledby="issue-title"
      aria-describedby="issue-desc"
      onKeyDown={(e) => {
        if (e.key === "Escape" && !busy) close();
      }}
    >
      <h3 id="issue-title">Issue this invoice?</h3>
      <p id="issue-desc">
        {state.pattern ? (
          <>
            It gets your next invoice number (pattern <code>{state.pattern}</code>, e.g. <strong>{example}</strong>)
          </>
        ) : (
          <>It gets your next invoice number</>
        )}{" "}
        and is kept for good in your Invoices. After that it cannot be changed: a mistake is corrected with a credit note, a
        repeat starts from a copy.
      </p>
      {state.kind === "error" && <ErrorNotice error={state.error} onDismiss={() => setState({ ...state, kind: "confirm" })} />}
      <div className="issue-buttons">
        <button type="button" ref={confirmRef} className="btn btn-primary" disabled={busy} aria-busy={busy || undefined} onClick={() => void issue()}>
          {busy ? "Issuing…" : state.kind === "error" ? "Try again" : "Issue invoice"}
        </button>
        <button type="button" className="btn btn-secondary" disabled={busy} onClick={close}>
          Cancel
        </button>
      </div>
    </div>
  );
}
