// EN 16931 VAT categories (UNCL 5305) as a person reads them on the preview.
import type { TaxCategory } from "./types";

export const VAT_CATEGORY_LABELS: Record<TaxCategory, string> = {
  S: "Standard rate",
  Z: "Zero rated",
  E: "Exempt",
  AE: "Reverse charge",
  K: "Intra-community supply",
  G: "Export outside the EU",
  O: "Outside the scope of VAT",
};

/** A line's tax column for the 0 % categories that need words (as the PDF prints them). */
export const LINE_TAX_WORDS: Partial<Record<TaxCategory, string>> = {
  AE: "Reverse charge",
  E: "Exempt",
  K: "Exempt",
  G: "Exempt",
  O: "Not subject",
};

/** How the tax summary names a category (as the PDF does). */
export const SUMMARY_WORDS: Partial<Record<TaxCategory, string>> = {
  AE: "Reverse charge",
  E: "Exempt",
  K: "Exempt intra-community supply",
  G: "Exempt export",
  O: "Not subject to VAT",
};

export function categoryLabel(category: string | null | undefined): string | null {
  if (!category) return null;
  return VAT_CATEGORY_LABELS[category as TaxCategory] ?? category;
}

/** "IBAN DE89 3704 …" grouped by four, as people read and type it. */
export function groupIban(iban: string): string {
  return iban.replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");
}
