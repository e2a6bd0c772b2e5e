// What changed between two versions of the invoice, so the preview can highlight it briefly.
import type { Invoice, LineItem } from "./types";

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function itemKey(item: LineItem): string {
  return JSON.stringify(item);
}

/**
 * Keys of the parts of `next` that differ from `prev`: "number", "issue_date", "due_date",
 * "seller", "buyer", "item:<index>", "subtotal", "discount", "tax", "total", "notes",
 * "payment_terms", "currency". A new invoice (another number) is not a change but a new sheet.
 */
export function changedParts(prev: Invoice | null, next: Invoice | null): Set<string> {
  const changed = new Set<string>();
  if (!prev || !next || prev.number !== next.number) return changed;
  for (const key of ["issue_date", "due_date", "seller", "buyer", "subtotal", "total", "notes", "payment_terms", "currency"] as const) {
    if (!same(prev[key], next[key])) changed.add(key);
  }
  if (!same(prev.discount, next.discount) || prev.discount_total !== next.discount_total) changed.add("discount");
  if (!same(prev.tax_breakdown, next.tax_breakdown) || prev.tax_total !== next.tax_total) changed.add("tax");
  const before = new Set(prev.items.map(itemKey));
  next.items.forEach((item, index) => {
    if (!before.has(itemKey(item))) changed.add(`item:${index}`);
  });
  return changed;
}
