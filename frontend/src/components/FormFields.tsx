import { useId } from "react";

export interface FieldSpec {
  name: string;
  label: string;
  hint?: string;
  type?: "text" | "email" | "tel" | "number";
  multiline?: boolean;
  autoComplete?: string;
  inputMode?: "text" | "decimal" | "numeric";
  /** A select of these choices instead of a text input ("" is the empty choice). */
  options?: { value: string; label: string }[];
}

interface Props {
  fields: FieldSpec[];
  values: Record<string, string>;
  /** One list of messages per field name (a 422's details). */
  errors: Record<string, string[] | undefined>;
  onChange: (name: string, value: string) => void;
  /** Prefix for ids and test names, e.g. "seller". */
  prefix: string;
}

/** Labelled inputs, each with its hint and its own error messages (aria-invalid, aria-describedby). */
export function FormFields({ fields, values, errors, onChange, prefix }: Props) {
  const base = useId();
  return (
    <div className="form-grid">
      {fields.map((field) => {
        const id = `${base}-${prefix}-${field.name}`;
        const messages = errors[field.name] ?? [];
        const described = [field.hint ? `${id}-hint` : "", messages.length ? `${id}-error` : ""].filter(Boolean).join(" ");
        const common = {
          id,
          name: `${prefix}.${field.name}`,
          value: values[field.name] ?? "",
          "aria-invalid": messages.length ? true : undefined,
          "aria-describedby": described || undefined,
        };
        return (
          <div key={field.name} className={`field${field.multiline ? " field-wide" : ""}${messages.length ? " field-invalid" : ""}`}>
            <label htmlFor={id}>{field.label}</label>
            {field.multiline ? (
              <textarea {...common} rows={3} onChange={(e) => onChange(field.name, e.target.value)} />
            ) : field.options ? (
              <select {...common} onChange={(e) => onChange(field.name, e.target.value)}>
                <option value="">—</option>
                {field.options.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
                {common.value && !field.options.some((o) => o.value === common.value) && (
                  <option value={common.value}>{common.value}</option>
                )}
              </select>
            ) : (
              <input
                {...common}
                type={field.type === "number" ? "text" : (field.type ?? "text")}
                inputMode={field.inputMode ?? (field.type === "number" ? "numeric" : undefined)}
                autoComplete={field.autoComplete ?? "off"}
                onChange={(e) => onChange(field.name, e.target.value)}
              />
            )}
            {field.hint && (
              <span id={`${id}-hint`} className="field-hint">
                {field.hint}
              </span>
            )}
            {messages.length > 0 && (
              <span id={`${id}-error`} className="field-error">
                {messages.join(" ")}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

export const PARTY_FIELDS: FieldSpec[] = [
  { name: "name", label: "Name", autoComplete: "organization" },
  { name: "company", label: "Company" },
  { name: "email", label: "E-mail", type: "email" },
  { name: "phone", label: "Phone", type: "tel" },
  { name: "tax_id", label: "VAT ID", hint: "e.g. DE123456789" },
  { name: "address", label: "Address", multiline: true },
];

/** Marshmallow-style details for one object ({"iban": ["…"]}) as field -> messages. */
export function fieldErrors(details: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!details || typeof details !== "object" || Array.isArray(details)) return out;
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (typeof value === "string") out[key] = [value];
    else if (value && typeof value === "object") {
      // a nested object's messages flattened onto its field
      out[key] = Object.values(value as Record<string, unknown>).flat().map(String);
    }
  }
  return out;
}

/** The form's text for a stored value: null and undefined are "". */
export function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}
