import { useState } from "react";
import { ApiError, saveFile } from "../api";
import { missingFields, type MissingField } from "../einvoice";
import { humanize, type HumanError } from "../errors";
import { downloadIssued, ISSUED_FORMATS, type IssuedFormat } from "../records";
import { ErrorNotice } from "./ErrorNotice";

type State =
  | { kind: "idle" }
  | { kind: "busy"; format: IssuedFormat }
  | { kind: "done"; filename: string }
  | { kind: "incomplete"; format: IssuedFormat; message: string; missing: MissingField[] }
  | { kind: "error"; error: HumanError };

/** Every file of an issued invoice: PDF, HTML, UBL, CII, Factur-X — fetched with the API key. */
export function IssuedDownloads({ number, compact = false }: { number: string; compact?: boolean }) {
  const [state, setState] = useState<State>({ kind: "idle" });
  const get = async (format: IssuedFormat) => {
    setState({ kind: "busy", format });
    try {
      const file = await downloadIssued(number, format);
      saveFile(file);
      setState({ kind: "done", filename: file.filename });
    } catch (e) {
      if (e instanceof ApiError && e.code === "einvoice_incomplete") {
        setState({ kind: "incomplete", format, message: e.message, missing: missingFields(e.details) });
      } else {
        setState({ kind: "error", error: humanize(e) });
      }
    }
  };
  return (
    <div className={`issued-downloads${compact ? " compact" : ""}`}>
      <div role="group" aria-label={`Download ${number}`} className="download-buttons">
        {ISSUED_FORMATS.map((format) => (
          <button
            key={format.id}
            type="button"
            className={`btn ${format.id === "pdf" ? "btn-primary" : "btn-secondary"}`}
            title={format.hint}
            disabled={state.kind === "busy"}
            aria-busy={(state.kind === "busy" && state.format.id === format.id) || undefined}
            onClick={() => void get(format)}
          >
            {format.label}
          </button>
        ))}
      </div>
      <p className="visually-hidden" role="status">
        {state.kind === "busy" ? `Preparing ${state.format.label}…` : state.kind === "done" ? `Downloaded ${state.filename}` : ""}
      </p>
      {state.kind === "incomplete" && (
        <div className="notice notice-error" role="alert" data-code="einvoice_incomplete">
          <div className="notice-body">
            <p className="notice-title">The {state.format.label} cannot be made yet</p>
            <p>{state.message}</p>
            {state.missing.length > 0 && (
              <ul className="notice-points">
                {state.missing.map((m, i) => (
                  <li key={i}>
                    {m.label}
                    {m.term ? ` (${m.term})` : ""}
                  </li>
                ))}
              </ul>
            )}
            <p className="fine">
              An issued invoice does not change: add what is missing in Settings (your profile) for the next invoices, or
              make a copy and complete it in the chat.
            </p>
          </div>
        </div>
      )}
      {state.kind === "error" && <ErrorNotice error={state.error} onDismiss={() => setState({ kind: "idle" })} />}
    </div>
  );
}
