import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, downloadInvoice, EXPORT_FORMATS, saveFile, type ExportFormat } from "../api";
import { missingFields, suggestionText, type MissingField } from "../einvoice";
import { humanize, type HumanError } from "../errors";
import { ErrorNotice } from "./ErrorNotice";

export type ExportState =
  | { kind: "idle" }
  | { kind: "busy"; format: ExportFormat }
  | { kind: "done"; filename: string }
  | { kind: "incomplete"; format: ExportFormat; missing: MissingField[]; message: string }
  | { kind: "error"; format: ExportFormat; error: HumanError };

export interface Exports {
  state: ExportState;
  download: (format: ExportFormat) => Promise<void>;
  reset: () => void;
}

/** Downloads of the session's invoice, and what went wrong with the last one. */
export function useExports(sessionId: string | null, invoiceNumber: string | null | undefined): Exports {
  const [state, setState] = useState<ExportState>({ kind: "idle" });
  const download = useCallback(
    async (format: ExportFormat) => {
      if (!sessionId) return;
      setState({ kind: "busy", format });
      try {
        const file = await downloadInvoice(sessionId, format, invoiceNumber);
        saveFile(file);
        setState({ kind: "done", filename: file.filename });
      } catch (e) {
        if (e instanceof ApiError && e.code === "einvoice_incomplete") {
          setState({ kind: "incomplete", format, missing: missingFields(e.details), message: e.message });
        } else {
          setState({ kind: "error", format, error: humanize(e) });
        }
      }
    },
    [sessionId, invoiceNumber],
  );
  const reset = useCallback(() => setState({ kind: "idle" }), []);
  return { state, download, reset };
}

interface BarProps {
  exports: Exports;
  canExport: boolean;
  canPrint: boolean;
}

/** Download PDF, the other formats in a menu, and Print. */
export function ExportBar({ exports, canExport, canPrint }: BarProps) {
  const menu = useRef<HTMLDetailsElement>(null);
  const { state, download } = exports;
  const off = !canExport || state.kind === "busy";
  const pdf = EXPORT_FORMATS[0];
  const others = EXPORT_FORMATS.slice(1);
  // The menu closes on Escape (focus back on its button) and on a click elsewhere.
  useEffect(() => {
    const close = (e: Event) => {
      const details = menu.current;
      if (!details?.open) return;
      if (e instanceof KeyboardEvent && e.key === "Escape") {
        details.open = false;
        details.querySelector("summary")?.focus();
      } else if (e.type === "click" && !details.contains(e.target as Node)) {
        details.open = false;
      }
    };
    document.addEventListener("keydown", close);
    document.addEventListener("click", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("click", close);
    };
  }, []);

  const pick = (format: ExportFormat) => {
    if (menu.current) menu.current.open = false;
    void download(format);
  };

  return (
    <div className="export">
      <div className="export-bar" role="toolbar" aria-label="Export and print">
        <button type="button" className="btn btn-primary" disabled={off} onClick={() => pick(pdf)}>
          <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
            <path d="M10 3v9m0 0-3.5-3.5M10 12l3.5-3.5M4 15h12" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          Download PDF
        </button>
        <details className="menu" ref={menu}>
          <summary
            className={`btn btn-secondary${off ? " is-disabled" : ""}`}
            aria-disabled={off || undefined}
            onClick={(e) => {
              if (off) e.preventDefault();
            }}
          >
            More<span className="hide-narrow">formats</span>
            <svg viewBox="0 0 20 20" width="14" height="14" aria-hidden="true">
              <path d="m5 8 5 5 5-5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </summary>
          <ul className="menu-list">
            {others.map((format) => (
              <li key={format.id}>
                <button type="button" className="menu-item" disabled={off} onClick={() => pick(format)}>
                  <span className="menu-label">{format.label}</span>
                  <span className="menu-hint">{format.hint}</span>
                </button>
              </li>
            ))}
          </ul>
        </details>
        <button type="button" className="btn btn-secondary" disabled={!canPrint} onClick={() => window.print()}>
          <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
            <path d="M6 8V3h8v5M6 14H4V8h12v6h-2M6 11h8v6H6z" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
          </svg>
          Print
        </button>
      </div>
      <p className="export-status" aria-live="polite">
        {state.kind === "busy" && `Preparing ${state.format.label}…`}
        {state.kind === "done" && `Downloaded ${state.filename}`}
      </p>
    </div>
  );
}

interface NoticeProps {
  exports: Exports;
  /** Puts a suggested message in the chat box. */
  onSuggest: (message: string) => void;
}

/** What the last export needs: missing e-invoice details with the message that adds each, or an error. */
export function ExportNotice({ exports, onSuggest }: NoticeProps) {
  const { state, download, reset } = exports;
  if (state.kind === "incomplete") {
    return (
      <div className="notice notice-warn export-notice" role="alert" data-code="einvoice_incomplete">
        <div className="notice-body">
          <p className="notice-title">The {state.format.label} e-invoice needs a few more details</p>
          <p>The EN 16931 standard requires information this invoice does not have yet. Add it in the chat:</p>
          <ul className="missing-list">
            {state.missing.map((field) => (
              <li key={field.label}>
                <span>
                  {field.label}
                  {field.term && <span className="term"> ({field.term})</span>}
                </span>
                {field.suggestion && (
                  <button
                    type="button"
                    className="suggest"
                    onClick={() => {
                      onSuggest(field.suggestion!);
                      reset();
                    }}
                  >
                    <span className="visually-hidden">Write </span>“{suggestionText(field.suggestion)}”
                  </button>
                )}
              </li>
            ))}
          </ul>
          {state.missing.some((field) => field.term === "BT-1" || /invoice number/i.test(field.label)) && (
            <p>A draft has no number yet: issue the invoice first, then download its e-invoice.</p>
          )}
          {state.missing.some((field) => /^BT-(2[7-9]|3[0-9]|4[0-3]|8[0-9])$/.test(field.term ?? "")) && (
            <p className="fine">
              Your business and payment details can also be saved once in <a href="/settings">Settings</a>, for every
              new invoice.
            </p>
          )}
        </div>
        <div className="notice-actions">
          <button type="button" className="btn btn-ghost btn-small" onClick={reset}>
            Dismiss
          </button>
        </div>
      </div>
    );
  }
  if (state.kind === "error") {
    return (
      <div className="export-notice">
        <ErrorNotice error={state.error} onRetry={() => void download(state.format)} onDismiss={reset} />
      </div>
    );
  }
  return null;
}
