import { useEffect, useRef, useState } from "react";
import { changedParts } from "../diff";
import { formatDate, unitLabel } from "../format";
import { formatDecimal, formatMoney, formatPercent, isZero, negate } from "../money";
import type { Invoice, Party } from "../types";

interface Props {
  invoice: Invoice | null;
  locale: string;
  busy?: boolean;
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
    </address>
  );
}

export function InvoicePreview({ invoice, locale, busy }: Props) {
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

  return (
    <article
      className="sheet"
      aria-label={`Invoice ${invoice.number ?? ""}`.trim()}
      aria-busy={busy || undefined}
      data-testid="invoice"
    >
      <header className="sheet-head">
        <div className={`sheet-from${hl("seller")}`}>
          {invoice.seller ? (
            <PartyBlock party={invoice.seller} role="From" />
          ) : (
            <p className="placeholder">
              Your business details go here — tell the assistant, e.g. <q>seller: Northwind Studio</q>.
            </p>
          )}
        </div>
        <div className="sheet-title">
          <h2>Invoice</h2>
          <dl className="meta">
            <div className={hl("number")}>
              <dt>Number</dt>
              <dd data-testid="invoice-number">{invoice.number ?? "—"}</dd>
            </div>
            {invoice.issue_date && (
              <div className={hl("issue_date")}>
                <dt>Issued</dt>
                <dd>
                  <time dateTime={invoice.issue_date}>{formatDate(invoice.issue_date, locale)}</time>
                </dd>
              </div>
            )}
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
          <strong data-testid="amount-due">{money(invoice.total)}</strong>
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
            {showTaxColumn && (
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
              <td colSpan={showTaxColumn ? 5 : 4} className="placeholder">
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
                  {showTaxColumn ? ` · tax ${formatPercent(item.tax_rate, locale)}` : ""}
                </span>
              </td>
              <td className="num col-qty">
                {formatDecimal(item.quantity, locale)}
                {item.unit && <span className="unit"> {unitLabel(item.unit, item.quantity, locale)}</span>}
              </td>
              <td className="num col-price">{money(item.unit_price)}</td>
              {showTaxColumn && <td className="num col-tax">{formatPercent(item.tax_rate, locale)}</td>}
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
              <div key={line.rate} className={hl("tax")}>
                <dt>
                  Tax {formatPercent(line.rate, locale)}
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
        </dl>
      </div>
      <footer className="sheet-foot">
        {invoice.number && <span>{invoice.number}</span>}
        {invoice.seller?.email && <span>{invoice.seller.email}</span>}
      </footer>
    </article>
  );
}
