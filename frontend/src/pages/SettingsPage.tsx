import { useEffect, useState } from "react";
import { ApiError } from "../api";
import { ErrorNotice } from "../components/ErrorNotice";
import { fieldErrors, FormFields, PARTY_FIELDS, text, type FieldSpec } from "../components/FormFields";
import { humanize, type HumanError } from "../errors";
import {
  DEFAULT_CREDIT_NOTE_PATTERN,
  DEFAULT_INVOICE_PATTERN,
  EAS_SCHEMES,
  getProfile,
  patchProfile,
  patternExample,
  type Profile,
  type ProfileSection,
} from "../records";

type Values = Record<ProfileSection, Record<string, string>>;
type Errors = Record<ProfileSection, Record<string, string[]>>;

const SECTIONS: { key: ProfileSection; title: string; intro: string; fields: FieldSpec[] }[] = [
  {
    key: "seller",
    title: "Your business",
    intro: "The seller on every new invoice.",
    fields: PARTY_FIELDS,
  },
  {
    key: "seller",
    title: "E-invoicing",
    intro:
      "Who answers questions about your invoices (XRechnung needs a name, phone and e-mail: BT-41..43) and where e-invoices reach you (BT-34; Peppol needs one).",
    fields: [
      { name: "contact.name", label: "Contact name", hint: "a person or a department" },
      { name: "contact.phone", label: "Contact phone", type: "tel" },
      { name: "contact.email", label: "Contact e-mail", type: "email" },
      {
        name: "electronic_address.scheme",
        label: "Electronic address scheme",
        hint: "EAS code list",
        options: EAS_SCHEMES.map((s) => ({ value: s.code, label: s.label })),
      },
      { name: "electronic_address.value", label: "Electronic address", hint: "e.g. DE811907980 for 9930, a Leitweg-ID for 0204" },
    ],
  },
  {
    key: "payment",
    title: "Payment details",
    intro: "How clients pay you: printed on the invoice and written into e-invoices (BG-16).",
    fields: [
      { name: "account_name", label: "Account holder" },
      { name: "iban", label: "IBAN", hint: "e.g. DE89 3704 0044 0532 0130 00" },
      { name: "bic", label: "BIC", hint: "8 or 11 characters, e.g. COBADEFFXXX" },
      { name: "means_code", label: "Payment means code", hint: "UNTDID 4461: 58 SEPA transfer, 30 credit transfer", inputMode: "numeric" },
    ],
  },
  {
    key: "defaults",
    title: "Defaults",
    intro: "What a new invoice starts with, unless the chat says otherwise.",
    fields: [
      { name: "currency", label: "Currency", hint: "ISO 4217, e.g. EUR" },
      { name: "payment_terms_days", label: "Payment terms (days)", type: "number", hint: "e.g. 30" },
      { name: "tax_rate", label: "Tax rate (%)", inputMode: "decimal", hint: "e.g. 19" },
      { name: "locale", label: "Locale", hint: "e.g. en_US, de_DE, fr_FR" },
    ],
  },
  {
    key: "numbering",
    title: "Number patterns",
    intro: "{seq} (or {seq:04} zero-padded) exactly once; with {year}, numbers restart each year.",
    fields: [
      { name: "invoice_pattern", label: "Invoices", hint: `default ${DEFAULT_INVOICE_PATTERN}` },
      { name: "credit_note_pattern", label: "Credit notes", hint: `default ${DEFAULT_CREDIT_NOTE_PATTERN}` },
    ],
  },
];

const EMPTY_ERRORS: Errors = { seller: {}, payment: {}, defaults: {}, numbering: {} };

/** A field's stored value; "contact.name" is the name inside the seller's contact object. */
function storedValue(stored: Record<string, unknown>, name: string): unknown {
  const [outer, inner] = name.split(".");
  if (inner === undefined) return stored[outer];
  const nested = stored[outer];
  return nested && typeof nested === "object" ? (nested as Record<string, unknown>)[inner] : undefined;
}

function valuesOf(profile: Profile): Values {
  const out = { seller: {}, payment: {}, defaults: {}, numbering: {} } as Values;
  for (const section of SECTIONS) {
    const stored = (profile[section.key] ?? {}) as Record<string, unknown>;
    for (const field of section.fields) out[section.key][field.name] = text(storedValue(stored, field.name));
  }
  return out;
}

/**
 * What changed, as a PATCH: a field emptied is null (cleared); untouched sections are left out.
 * A contact or an electronic address is sent whole when any of its fields changed (the server
 * replaces it as a whole), and null when all its fields are empty.
 */
export function profileChanges(saved: Values, edited: Values): Profile {
  const changes: Record<string, Record<string, unknown>> = {};
  for (const section of SECTIONS) {
    const groups = new Set<string>();
    for (const field of section.fields) {
      const before = saved[section.key][field.name] ?? "";
      const after = (edited[section.key][field.name] ?? "").trim();
      if (before === after) continue;
      if (field.name.includes(".")) {
        groups.add(field.name.split(".")[0]);
        continue;
      }
      let value: unknown = after === "" ? null : after;
      // whole days are sent as a number; anything else as typed, for the server to explain
      if (field.name === "payment_terms_days" && typeof value === "string" && /^\d+$/.test(value)) value = parseInt(value, 10);
      (changes[section.key] ??= {})[field.name] = value;
    }
    for (const group of groups) {
      const whole: Record<string, string> = {};
      for (const field of section.fields) {
        const [outer, inner] = field.name.split(".");
        const value = (edited[section.key][field.name] ?? "").trim();
        if (outer === group && inner !== undefined && value !== "") whole[inner] = value;
      }
      (changes[section.key] ??= {})[group] = Object.keys(whole).length ? whole : null;
    }
  }
  return changes as Profile;
}

/**
 * A section's 422 details as field -> messages: a nested object's messages go to its own fields
 * ("contact": {"email": [...]} to "contact.email"); one about the object as a whole to its first.
 */
export function sectionErrors(details: unknown, fields: FieldSpec[]): Record<string, string[]> {
  const out = fieldErrors(details);
  if (!details || typeof details !== "object" || Array.isArray(details)) return out;
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    const nested = fields.filter((f) => f.name.startsWith(`${key}.`));
    if (!nested.length) continue;
    delete out[key];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, messages] of Object.entries(fieldErrors(value))) {
        const target = nested.find((f) => f.name === `${key}.${inner}`) ?? nested[0];
        out[target.name] = [...(out[target.name] ?? []), ...messages];
      }
    } else {
      out[nested[0].name] = fieldErrors({ [key]: value })[key] ?? [];
    }
  }
  return out;
}

export function SettingsPage({ year = new Date().getFullYear() }: { year?: number }) {
  const [saved, setSaved] = useState<Values | null>(null);
  const [values, setValues] = useState<Values | null>(null);
  const [errors, setErrors] = useState<Errors>(EMPTY_ERRORS);
  const [problem, setProblem] = useState<HumanError | null>(null);
  const [status, setStatus] = useState("");
  const [saving, setSaving] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    getProfile(controller.signal).then(
      (profile) => {
        const v = valuesOf(profile);
        setSaved(v);
        setValues(v);
        setProblem(null);
      },
      (e) => {
        if (e instanceof DOMException && e.name === "AbortError") return;
        setProblem(humanize(e));
      },
    );
    return () => controller.abort();
  }, [attempt]);

  if (!values || !saved) {
    return (
      <section className="records-page" aria-labelledby="settings-title">
        <h1 id="settings-title">Settings</h1>
        {problem ? <ErrorNotice error={problem} onRetry={() => setAttempt((n) => n + 1)} /> : <p role="status">Loading your profile…</p>}
      </section>
    );
  }

  const changes = profileChanges(saved, values);
  const dirty = Object.keys(changes).length > 0;

  const save = async () => {
    if (!dirty || saving) return;
    setSaving(true);
    setStatus("");
    setProblem(null);
    try {
      const profile = await patchProfile(changes);
      const v = valuesOf(profile);
      setSaved(v);
      setValues(v);
      setErrors(EMPTY_ERRORS);
      setStatus("Saved. New invoices start with these details.");
    } catch (e) {
      if (e instanceof ApiError && e.code === "validation_error") {
        const details = e.details as Record<string, unknown>;
        const next: Errors = { seller: {}, payment: {}, defaults: {}, numbering: {} };
        let placed = 0;
        for (const key of Object.keys(next) as ProfileSection[]) {
          const fields = SECTIONS.filter((s) => s.key === key).flatMap((s) => s.fields);
          next[key] = sectionErrors(details[key], fields);
          placed += Object.keys(next[key]).length;
        }
        setErrors(next);
        setStatus(placed ? "Not saved: please correct the fields marked below." : "");
        // the first field to correct gets the focus (its message is read with it)
        if (placed) requestAnimationFrame(() => document.querySelector<HTMLElement>(".settings [aria-invalid='true']")?.focus());
        if (!placed) setProblem(humanize(e));
      } else {
        setProblem(humanize(e));
      }
    } finally {
      setSaving(false);
    }
  };

  const numbering = values.numbering;
  return (
    <section className="records-page settings" aria-labelledby="settings-title">
      <div className="records-head">
        <h1 id="settings-title">Settings</h1>
        <p className="fine">Your business profile: set once, used on every new invoice.</p>
      </div>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {SECTIONS.map((section) => (
          <fieldset key={section.title} className="form-section">
            <legend>{section.title}</legend>
            <p className="fine">{section.intro}</p>
            <FormFields
              prefix={section.key}
              fields={section.fields}
              values={values[section.key]}
              errors={errors[section.key]}
              onChange={(name, value) => {
                setValues((v) => (v ? { ...v, [section.key]: { ...v[section.key], [name]: value } } : v));
                setStatus("");
              }}
            />
            {section.key === "numbering" && (
              <p className="fine" data-testid="pattern-examples">
                Next invoice looks like{" "}
                <strong>{patternExample(numbering.invoice_pattern || DEFAULT_INVOICE_PATTERN, year)}</strong>, a credit note
                like <strong>{patternExample(numbering.credit_note_pattern || DEFAULT_CREDIT_NOTE_PATTERN, year)}</strong>.
              </p>
            )}
          </fieldset>
        ))}
        {problem && <ErrorNotice error={problem} onDismiss={() => setProblem(null)} />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!dirty || saving}>
            {saving ? "Saving…" : "Save profile"}
          </button>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={!dirty || saving}
            onClick={() => {
              setValues(saved);
              setErrors(EMPTY_ERRORS);
              setStatus("");
            }}
          >
            Discard changes
          </button>
          <span role="status" className="form-status">
            {status}
          </span>
        </div>
      </form>
    </section>
  );
}
