import { useEffect, useRef, useState } from "react";
import { changedParts } from "../diff";
import { formatDate, unitLabel } from "../format";
import { formatDecimal, formatMoney, formatPercent, isZero, negate } from "../money";
import { STATUS_LABELS } from "../records";
import type { Invoice, Party } from "../types";
import { groupIban, LINE_TAX_WORDS, SUMMARY_WORDS } from "../vat";

interface Props {
  invoice: Invoice | null;
  locale: string;
  busy?: boolean;
  /** The profile's seller: shown (marked as such) while the draft names none. */
  profileSeller?: Partial<Party> | null;
}

const HIGHLIGHT_MS = 2600;

/** Which parts changed in the last update, for a short highlight. */
function useChanges(invoice: Invoice | null): Set<string> {
  const previous = useRef<Invoice | null>(invoice);
  const [changed, setChanged] = useState<Set<string>>(new Set());
  useEffect(() => {
    const prev = previous.current;
    previous.current = invoice;
    if (prev === invoice) return;
    const parts = changedParts(prev, invoice);
    setChanged(parts);
    if (!parts.size) return;
    const timer = setTimeout(() => setChanged(new Set()), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [invoice]);
  return changed;
}

function PartyBlock({ party, role }: { party: Party; role: string }) {
  return (
    <address className="party" aria-label={role}>
      <strong className="party-name">{party.name}</strong>
      {party.company && party.company !== party.name && <span>{party.company}</span>}
      {party.address &&
        party.address.split(/\n/).map((line, i) => <span key={i}>{line.trim()}</span>)}
      {party.email && <span>{party.email}</span>}
      {party.phone && <span>{party.phone}</span>}
      {party.tax_id && <span>Tax ID {party.tax_id}</span>}
      {party.electronic_address?.value && (
        <span>
          E-invoice address {party.electronic_address.value}
          <span className="fine"> (scheme {party.electronic_address.scheme})</span>
        </span>
      )}
      {party.contact && (party.contact.name || party.contact.phone || party.contact.email) && (
        <span>
          Contact {[party.contact.name, party.contact.phone, party.contact.email].filter(Boolean).join(", ")}
        </span>
      )}
    </address>
  );
}

export function InvoicePreview({ invoice, locale, busy, profileSeller }: Props) {
  const changed = useChanges(invoice);
  const hl = (key: string) => (changed.has(key) ? " changed" : "");

  if (!invoice) {
    return (
      <article className="sheet sheet-empty" aria-label="Invoice preview" aria-busy={busy || undefined}>
        <div className="empty-sheet">
          <svg viewBox="0 0 48 48" width="56" height="56" aria-hidden="true">
            <path d="M12 5h17l9 9v29H12z" fill="#eef2ff" stroke="#6366f1" strokeWidth="2" strokeLinejoin="round" />
            <path d="M29 5v9h9" fill="none" stroke="#6366f1" strokeWidth="2" strokeLinejoin="round" />
            <path d="M18 24h14M18 30h14M18 36h8" stroke="#a5b4fc" strokeWidth="2.5" strokeLinecap="round" />
          </svg>
          <h2>{busy ? "Drafting your invoice…" : "Your invoice will appear here"}</h2>
          <p>
            Describe it in the chat, in your own words: who it is for, what you did, the rates, tax and when it is
            due. Then refine it by chatting.
          </p>
        </div>
      </article>
    );
  }

  const money = (amount: string) => formatMoney(amount, invoice.currency, locale);
  const discount = invoice.discount;
  const hasDiscount = !isZero(invoice.discount_total);
  const showTaxColumn = invoice.items.some((item) => !isZero(item.tax_rate));
  const lineDiscounts = invoice.items.some((item) => !isZero(item.discount_percent));
  const status = invoice.status ?? (invoice.number ? "issued" : "draft");
  const isDraft = status === "draft";
  const title = invoice.type === "credit_note" ? "Credit note" : "Invoice";
  const seller = invoice.seller ?? (profileSeller?.name ? (profileSeller as Party) : null);
  const amountDue = invoice.amount_due ?? invoice.total;
  const hasPrepaid = !!invoice.prepaid_amount && !isZero(invoice.prepaid_amount);
  const taxCell = (rate: string, category: string | null | undefined) => {
    const words = category ? LINE_TAX_WORDS[category as keyof typeof LINE_TAX_WORDS] : undefined;
    return words ? `${words} ${formatPercent(rate, locale)}` : formatPercent(rate, locale);
  };
  const showTax = showTaxColumn || invoice.items.some((item) => !!item.tax_category && !!LINE_TAX_WORDS[item.tax_category]);
  const references: [string, string][] = [];
  if (invoice.buyer_reference) references.push(["Buyer reference", invoice.buyer_reference]);
  if (invoice.purchase_order) references.push(["Order reference", invoice.purchase_order]);
  if (invoice.preceding_invoice?.number) references.push(["Credits invoice", invoice.preceding_invoice.number]);
  if (invoice.delivery_date) references.push(["Delivered", formatDate(invoice.delivery_date, locale)]);
  const payment = invoice.payment;
  const exemptions = invoice.tax_breakdown.filter((line) => line.exemption_reason?.text || line.exemption_reason?.code);

  return (
    <article
      className="sheet"
      aria-label={`${title} ${isDraft ? "draft" : (invoice.number ?? "")}`.trim()}
      aria-busy={busy || undefined}
      data-testid="invoice"
      data-status={status}
    >
      <header className="sheet-head">
        <div className={`sheet-from${hl("seller")}`}>
          {seller ? (
            <>
              <PartyBlock party={seller} role="From" />
              {!invoice.seller && <span className="fine from-profile">From your profile</span>}
            </>
          ) : (
            <p className="placeholder">
              Your business details go here — tell the assistant, e.g. <q>seller: Northwind Studio</q>.
            </p>
          )}
        </div>
        <div className="sheet-title">
          <h2>
            {title}{" "}
            <span className={`status-badge status-${status}`} data-testid="invoice-status">
              {STATUS_LABELS[status]}
            </span>
          </h2>
          <dl className="meta">
            <div className={hl("number")}>
              <dt>Number</dt>
              <dd data-testid="invoice-number">{isDraft ? "Draft" : (invoice.number ?? "—")}</dd>
            </div>
            {invoice.issue_date && (
              <div className={hl("issue_date")}>
                <dt>Issued</dt>
                <dd>
                  <time dateTime={invoice.issue_date}>{formatDate(invoice.issue_date, locale)}</time>
                </dd>
              </div>
            )}
            {references.map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
            <div className={hl("due_date")}>
              <dt>Due</dt>
              <dd>
                {invoice.due_date ? (
                  <time dateTime={invoice.due_date}>{formatDate(invoice.due_date, locale)}</time>
                ) : (
                  "On receipt"
                )}
              </dd>
            </div>
          </dl>
        </div>
      </header>

      <section className="sheet-parties">
        <div className={`bill-to${hl("buyer")}`}>
          <h3>Bill to</h3>
          {invoice.buyer ? <PartyBlock party={invoice.buyer} role="Bill to" /> : <p className="placeholder">No client yet</p>}
        </div>
        <div className={`amount-due${hl("total")}`}>
          <span>Amount due</span>
          <strong data-testid="amount-due">{money(amountDue)}</strong>
          {invoice.due_date && <span className="amount-due-date">by {formatDate(invoice.due_date, locale)}</span>}
        </div>
      </section>

      <table className="items">
        <caption className="visually-hidden">Line items</caption>
        <thead>
          <tr>
            <th scope="col" className="col-desc">
              Description
            </th>
            <th scope="col" className="num col-qty">
              Qty
            </th>
            <th scope="col" className="num col-price">
              Unit price
            </th>
            {showTax && (
              <th scope="col" className="num col-tax">
                Tax
              </th>
            )}
            <th scope="col" className="num col-amount">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {invoice.items.length === 0 && (
            <tr>
              <td colSpan={showTax ? 5 : 4} className="placeholder">
                No lines yet
              </td>
            </tr>
          )}
          {invoice.items.map((item, index) => (
            <tr key={index} className={hl(`item:${index}`).trim() || undefined} data-testid="line-item">
              <td className="col-desc">
                <span className="item-desc">{item.description}</span>
                {!isZero(item.discount_percent) && (
                  <span className="item-note">{formatPercent(item.discount_percent, locale)} discount</span>
                )}
                <span className="item-mobile">
                  {formatDecimal(item.quantity, locale)}
                  {item.unit ? ` ${unitLabel(item.unit, item.quantity, locale)}` : ""} × {money(item.unit_price)}
                  {showTax ? ` · tax ${taxCell(item.tax_rate, item.tax_category)}` : ""}
                </span>
              </td>
              <td className="num col-qty">
                {formatDecimal(item.quantity, locale)}
                {item.unit && <span className="unit"> {unitLabel(item.unit, item.quantity, locale)}</span>}
              </td>
              <td className="num col-price">{money(item.unit_price)}</td>
              {showTax && (
                <td className="num col-tax" data-category={item.tax_category ?? undefined}>
                  {taxCell(item.tax_rate, item.tax_category)}
                  {item.tax_category && item.tax_category !== "S" && (
                    <span className="tax-category" title="VAT category (EN 16931)">
                      {" "}
                      {item.tax_category}
                    </span>
                  )}
                </td>
              )}
              <td className="num col-amount">{money(item.net_amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <div className="sheet-bottom">
        <div className="sheet-notes">
          {invoice.payment_terms && (
            <section className={hl("payment_terms").trim() || undefined}>
              <h3>Payment terms</h3>
              <p>{invoice.payment_terms}</p>
            </section>
          )}
          {invoice.notes && (
            <section className={hl("notes").trim() || undefined}>
              <h3>Notes</h3>
              <p>{invoice.notes}</p>
            </section>
          )}
          {exemptions.length > 0 && (
            <section>
              <h3>VAT exemption</h3>
              {exemptions.map((line, i) => (
                <p key={i}>
                  {line.exemption_reason?.text ?? ""}
                  {line.exemption_reason?.code ? ` (${line.exemption_reason.code})` : ""}
                </p>
              ))}
            </section>
          )}
          {payment && (payment.iban || payment.account_name || payment.reference) && (
            <section className="payment-details" aria-label="Payment details">
              <h3>Payment details</h3>
              <dl className="pay">
                {payment.account_name && (
                  <div>
                    <dt>Account holder</dt>
                    <dd>{payment.account_name}</dd>
                  </div>
                )}
                {payment.iban && (
                  <div>
                    <dt>IBAN</dt>
                    <dd>{groupIban(payment.iban)}</dd>
                  </div>
                )}
                {payment.bic && (
                  <div>
                    <dt>BIC</dt>
                    <dd>{payment.bic}</dd>
                  </div>
                )}
                {payment.reference && (
                  <div>
                    <dt>Reference</dt>
                    <dd>{payment.reference}</dd>
                  </div>
                )}
              </dl>
            </section>
          )}
          {lineDiscounts && <p className="fine">Line amounts are after line discounts.</p>}
        </div>
        <dl className="totals" data-testid="totals">
          <div className={hl("subtotal")}>
            <dt>Subtotal</dt>
            <dd>{money(invoice.subtotal)}</dd>
          </div>
          {(hasDiscount || discount) && (
            <div className={hl("discount")}>
              <dt>
                Discount
                {discount?.kind === "percent" ? ` (${formatPercent(discount.value, locale)})` : ""}
              </dt>
              <dd>{money(negate(invoice.discount_total))}</dd>
            </div>
          )}
          {invoice.tax_breakdown.length > 0 ? (
            invoice.tax_breakdown.map((line) => (
              <div key={`${line.tax_category ?? ""}:${line.rate}`} className={hl("tax")} data-category={line.tax_category ?? undefined}>
                <dt>
                  {line.tax_category && SUMMARY_WORDS[line.tax_category]
                    ? `${SUMMARY_WORDS[line.tax_category]} ${formatPercent(line.rate, locale)}`
                    : `Tax ${formatPercent(line.rate, locale)}`}
                  <span className="tax-base"> on {money(line.base)}</span>
                </dt>
                <dd>{money(line.tax)}</dd>
              </div>
            ))
          ) : (
            <div className={hl("tax")}>
              <dt>Tax</dt>
              <dd>{money(invoice.tax_total)}</dd>
            </div>
          )}
          <div className={`grand-total${hl("total")}`}>
            <dt>
              Total <span className="currency-code">{invoice.currency}</span>
            </dt>
            <dd data-testid="invoice-total">{money(invoice.total)}</dd>
          </div>
          {hasPrepaid && (
            <>
              <div>
                <dt>Paid in advance</dt>
                <dd data-testid="prepaid">{money(negate(invoice.prepaid_amount as string))}</dd>
              </div>
              <div className="grand-total">
                <dt>Amount due</dt>
                <dd data-testid="invoice-amount-due">{money(amountDue)}</dd>
              </div>
            </>
          )}
        </dl>
      </div>
      <footer className="sheet-foot">
        <span>{isDraft ? "Draft — not issued yet" : invoice.number}</span>
        {invoice.seller?.email && <span>{invoice.seller.email}</span>}
      </footer>
    </article>
  );
}
