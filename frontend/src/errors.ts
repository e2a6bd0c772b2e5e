// Every error code of the API (docs/api.md "Errors" and "Job errors") gets an answer a person
// can act on: what happened, and what to do next.
import { ApiError } from "./api";
import type { ErrorBody } from "./types";

export type ErrorAction =
  | { kind: "new_session" }
  | { kind: "retry" }
  | { kind: "wait"; jobId: string | null }
  | { kind: "retry_after"; seconds: number }
  | { kind: "api_key" }
  | { kind: "edit" }
  | { kind: "none" };

export interface HumanError {
  code: string;
  title: string;
  message: string;
  /** Specific points, e.g. one per invalid field. */
  points: string[];
  action: ErrorAction;
}

const FIELD_NAMES: Record<string, string> = {
  message: "Message",
  session_id: "Session",
  wait: "Wait time",
  items: "Items",
  file: "CSV file",
  reference: "Reference",
  _schema: "Request",
};

/** Flattens marshmallow-style details ({"message": ["…"]}, {"items": {"2": {"message": […]}}}) into lines. */
export function detailLines(details: unknown, path: string[] = []): string[] {
  if (details == null) return [];
  if (typeof details === "string") return [withPath(path, details)];
  if (typeof details === "number" || typeof details === "boolean") return [withPath(path, String(details))];
  if (Array.isArray(details)) {
    if (details.every((d) => typeof d === "string")) {
      return details.map((d) => withPath(path, d as string));
    }
    return details.flatMap((d, i) => detailLines(d, [...path, String(i)]));
  }
  if (typeof details === "object") {
    return Object.entries(details as Record<string, unknown>).flatMap(([key, value]) =>
      detailLines(value, [...path, key]),
    );
  }
  return [];
}

function withPath(path: string[], text: string): string {
  if (!path.length) return text;
  const label = path
    .map((part, i) => {
      if (/^\d+$/.test(part)) {
        // list indexes are 0-based in marshmallow; rows and lines are counted from 1 for people
        const previous = path[i - 1];
        const n = parseInt(part, 10);
        return previous === "rows" || previous === "row" ? `row ${n}` : `line ${n + 1}`;
      }
      return FIELD_NAMES[part] ?? part.replace(/_/g, " ");
    })
    .filter((p, i, all) => !(i === 0 && all.length > 1 && (p === "Items" || p === "rows")))
    .join(" › ");
  return `${label.charAt(0).toUpperCase()}${label.slice(1)}: ${text}`;
}

function seconds(n: number): string {
  return n === 1 ? "1 second" : `${n} seconds`;
}

function tokens(n: unknown): string {
  return typeof n === "number" ? n.toLocaleString("en-US") : "?";
}

const ATTACHMENT_TITLES: Record<string, string> = {
  unsupported_attachment: "That kind of file cannot be read",
  too_many_attachments: "Too many files for one message",
  attachment_too_large: "A file is too large",
  attachment_unreadable: "A file could not be read",
  einvoice_invalid: "The e-invoice is not valid",
};

/** The human answer to an API error, a failed job's error, or anything thrown. */
export function humanize(error: unknown): HumanError {
  if (error instanceof ApiError) return fromBody(error.code, error.message, error.details, error.status, error.retryAfter);
  if (isErrorBody(error)) return fromBody(error.code, error.message, error.details ?? {}, 0, null);
  return {
    code: "unexpected",
    title: "Something went wrong",
    message: "The page ran into an unexpected problem. Try again; if it keeps happening, reload the page.",
    points: [],
    action: { kind: "retry" },
  };
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === "object" && value !== null && typeof (value as ErrorBody).code === "string";
}

function fromBody(
  code: string,
  serverMessage: string,
  details: Record<string, unknown>,
  status: number,
  retryAfter: number | null,
): HumanError {
  const base = { code, points: [] as string[] };
  switch (code) {
    case "network_error":
      return {
        ...base,
        title: "Can't reach Invoice Agent",
        message: "Your browser could not connect to the service. Check your connection, then retry.",
        action: { kind: "retry" },
      };
    case "unavailable":
      return {
        ...base,
        title: "The service is briefly unavailable",
        message: "Nothing was lost or half-saved. Retry in a moment.",
        action: { kind: "retry" },
      };
    case "rate_limited": {
      const wait = retryAfter ?? 30;
      return {
        ...base,
        title: "Too many requests",
        message: `You're going a little fast. You can send again in ${seconds(wait)}.`,
        action: { kind: "retry_after", seconds: wait },
      };
    }
    case "token_limit_exceeded":
      return {
        ...base,
        title: "This conversation is full",
        message:
          `It has used ${tokens(details.token_count)} of its ${tokens(details.token_limit)} tokens, and this ` +
          "message would go past the limit. Start a new session to go on; download this invoice first if you need it.",
        action: { kind: "new_session" },
      };
    case "payload_too_large":
      return {
        ...base,
        title: "That is too much to send at once",
        message: "The request is larger than the server accepts. Shorten the message or split the file.",
        action: { kind: "edit" },
      };
    case "session_not_found":
      return {
        ...base,
        title: "This session has expired",
        message:
          "Sessions end after an hour without activity, and this one is gone. Start a new session; your message is kept in the box so you can send it again.",
        action: { kind: "new_session" },
      };
    case "turn_in_progress":
      return {
        ...base,
        title: "Still working on your previous message",
        message: "One message at a time keeps the conversation in order. We'll wait for it to finish; then send this one.",
        action: { kind: "wait", jobId: typeof details.job_id === "string" ? details.job_id : null },
      };
    case "validation_error":
      return {
        ...base,
        title: "Please check what you sent",
        message: "Some of it could not be accepted:",
        points: detailLines(details),
        action: { kind: "edit" },
      };
    case "invalid_json":
      return {
        ...base,
        title: "The request was not understood",
        message: "The server could not read the request. Reload the page and try again.",
        action: { kind: "retry" },
      };
    case "unauthorized":
      return {
        ...base,
        title: "An API key is needed",
        message: "This server requires an API key. Enter the key you were given to continue.",
        action: { kind: "api_key" },
      };
    case "job_not_found":
      return {
        ...base,
        title: "We lost track of that message",
        message: "Its status has expired on the server. Reload the conversation to see where it stands.",
        action: { kind: "retry" },
      };
    case "no_invoice":
      return {
        ...base,
        title: "No invoice yet",
        message: "Describe an invoice in the chat first, then export it.",
        action: { kind: "none" },
      };
    case "batch_not_found":
      return {
        ...base,
        title: "Batch not found",
        message: "This batch does not exist or has expired. Start a new batch.",
        action: { kind: "none" },
      };
    case "invoice_issued":
      return {
        ...base,
        title: "This invoice is issued",
        message:
          typeof details.number === "string"
            ? `Invoice ${details.number} is issued and kept as it is: it can no longer be changed. Issue a credit note to correct it, or copy it into a new draft.`
            : "An issued invoice is kept as it is: it can no longer be changed. Issue a credit note to correct it, or copy it into a new draft.",
        action: { kind: "none" },
      };
    case "invoice_not_found":
    case "client_not_found":
      return {
        ...base,
        title: code === "invoice_not_found" ? "Invoice not found" : "Client not found",
        message: "It does not exist, or it belongs to another API key.",
        action: { kind: "none" },
      };
    case "einvoice_incomplete":
      return {
        ...base,
        title: "The e-invoice needs a few more details",
        message: "The EN 16931 standard requires information this invoice does not have yet:",
        points: detailLines(details.missing ?? details),
        action: { kind: "edit" },
      };
    case "invalid_invoice":
      return {
        ...base,
        title: "That change could not be applied",
        message: `${serverMessage} Your invoice is unchanged; try rephrasing.`,
        points: detailLines(details.fields ?? {}),
        action: { kind: "edit" },
      };
    case "provider_error":
      return {
        ...base,
        title: "The assistant could not answer",
        message: `${serverMessage} Your invoice is unchanged.`,
        action: { kind: "retry" },
      };
    case "provider_unavailable":
      return {
        ...base,
        title: "The assistant is busy",
        message: "The language model stayed overloaded through several retries. Your invoice is unchanged; try again in a minute.",
        action: { kind: "retry" },
      };
    case "turn_timeout":
      return {
        ...base,
        title: "That took too long",
        message: "The assistant did not finish in time. Your invoice is unchanged; try again, perhaps with a shorter request.",
        action: { kind: "retry" },
      };
    // Attached files (docs/api.md "Attachments"): refused on upload, or unreadable in the worker.
    // The server's message says which ("Attachment 2: …") and what to do; it never names the file.
    case "unsupported_attachment":
    case "too_many_attachments":
    case "attachment_too_large":
    case "attachment_unreadable":
    case "einvoice_invalid":
      return {
        ...base,
        title: ATTACHMENT_TITLES[code],
        message: `${serverMessage || "A file could not be used."} ${
          status === 0 ? "Your invoice is unchanged." : "Nothing was sent: remove or replace the file, then send again."
        }`,
        points: Array.isArray(details.errors)
          ? details.errors.map((e: { rule?: string; message?: string }) => (e.rule ? `${e.rule}: ${e.message ?? ""}` : `${e.message ?? ""}`))
          : [],
        action: { kind: "edit" },
      };
    case "attachment_not_found":
      return {
        ...base,
        title: "That file is no longer available",
        message: "Attached files are kept with the session and expire with it.",
        action: { kind: "none" },
      };
    case "method_not_allowed":
    case "not_found":
      return {
        ...base,
        title: "Not available",
        message: "This server does not offer that yet.",
        action: { kind: "none" },
      };
    case "internal_error":
    default:
      return {
        ...base,
        title: "Something went wrong on our side",
        message: `${status >= 500 || code === "internal_error" ? "It has been logged. " : ""}${
          serverMessage && code !== "internal_error" ? `${serverMessage} ` : ""
        }Please try again.`,
        action: { kind: "retry" },
      };
  }
}
