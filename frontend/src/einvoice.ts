// What an `einvoice_incomplete` answer lists as missing, and the chat message that would add it.

export interface MissingField {
  /** What is missing, in words. */
  label: string;
  /** The EN 16931 business term, when the server names it ("BT-31"). */
  term: string | null;
  /**
   * The start of a chat message that would add it ("client address is "): put in the chat box
   * for the person to complete. Ends with a space when a value must follow.
   */
  suggestion: string | null;
}

// The server names our invoice field ({"field": "seller.tax_id", "term": "BT-31", "message": …}).
const BY_FIELD: Record<string, string> = {
  "seller.name": "seller: ",
  "seller.address": "our address is ",
  "seller.tax_id": "our VAT number is ",
  "seller.email": "our email is ",
  "buyer.name": "client is ",
  "buyer.address": "client address is ",
  "buyer.tax_id": "client VAT number is ",
  "buyer.email": "client email is ",
  items: "add a line: ",
  due_date: "due in 30 days",
  payment_terms: "due in 30 days",
};

interface Rule {
  test: RegExp;
  suggestion: string;
}

// Ordered: the first rule whose pattern matches the missing field's text wins.
const RULES: Rule[] = [
  { test: /(seller|supplier|our|your|my).*(vat|tax)|((vat|tax).*(seller|supplier))|BT-31|BT-32/i, suggestion: "our VAT number is " },
  { test: /(seller|supplier|our|your|my).*(country)|BT-40/i, suggestion: "our address is " },
  { test: /(seller|supplier|our|your|my).*(address|city|street|post)|BT-35|BT-37|BT-38/i, suggestion: "our address is " },
  { test: /(seller|supplier).*(name)|BT-27/i, suggestion: "seller: " },
  { test: /(buyer|client|customer).*(vat|tax)|BT-48/i, suggestion: "client VAT number is " },
  { test: /(buyer|client|customer).*(country)|BT-55/i, suggestion: "client address is " },
  { test: /(buyer|client|customer).*(address|city|street|post)|BT-50|BT-52|BT-53/i, suggestion: "client address is " },
  { test: /(buyer|client|customer).*(name)|BT-44/i, suggestion: "client is " },
  { test: /(buyer|client|customer).*(e-?mail)|BT-49/i, suggestion: "client email is " },
  { test: /due|payment (date|terms)|BT-9|BT-20/i, suggestion: "due in 30 days" },
  { test: /(iban|bank|payment account|BT-84)/i, suggestion: "note: pay to IBAN " },
];

function textOf(entry: unknown): string {
  if (typeof entry === "string") return entry;
  if (entry && typeof entry === "object") {
    const e = entry as Record<string, unknown>;
    for (const key of ["label", "message", "description", "name", "field"]) {
      if (typeof e[key] === "string" && e[key]) return e[key] as string;
    }
  }
  return String(entry);
}

function ownSuggestion(entry: unknown): string | null {
  if (entry && typeof entry === "object") {
    const e = entry as Record<string, unknown>;
    for (const key of ["suggestion", "example", "chat", "hint"]) {
      if (typeof e[key] === "string" && e[key]) return e[key] as string;
    }
  }
  return null;
}

/** The missing fields of an `einvoice_incomplete` error's details, each with a chat suggestion. */
export function missingFields(details: Record<string, unknown>): MissingField[] {
  const raw = details.missing;
  const entries: unknown[] = Array.isArray(raw)
    ? raw
    : raw && typeof raw === "object"
      ? Object.entries(raw as Record<string, unknown>).map(([field, label]) =>
          typeof label === "string" ? { field, label } : { field, ...(label as object) },
        )
      : typeof raw === "string"
        ? [raw]
        : [];
  return entries.map((entry) => {
    const text = textOf(entry);
    const label = text.charAt(0).toUpperCase() + text.slice(1);
    const e = (entry && typeof entry === "object" ? entry : {}) as Record<string, unknown>;
    const field = typeof e.field === "string" ? e.field : null;
    const term = typeof e.term === "string" ? e.term : null;
    const haystack = entry && typeof entry === "object" ? JSON.stringify(entry) : text;
    const rule = RULES.find((r) => r.test.test(haystack));
    const suggestion = ownSuggestion(entry) ?? (field ? BY_FIELD[field] : undefined) ?? rule?.suggestion ?? null;
    return { label, term, suggestion };
  });
}

/** How a suggestion reads on a button: "client address is …". */
export function suggestionText(suggestion: string): string {
  return suggestion.endsWith(" ") ? `${suggestion}…` : suggestion;
}
