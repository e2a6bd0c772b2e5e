import { useState } from "react";
import { humanize, type HumanError } from "../errors";
import { patchProfile, type Profile } from "../records";
import type { Party } from "../types";
import { ErrorNotice } from "./ErrorNotice";

const FIELDS = ["name", "company", "email", "phone", "address", "tax_id"] as const;

const norm = (value: unknown) => (typeof value === "string" ? value.trim().replace(/\s+/g, " ").toLowerCase() : "");

/** The draft's seller differs from the profile's (case and spacing ignored). */
export function sellerDiffers(seller: Partial<Party> | null | undefined, saved: Partial<Party> | null | undefined): boolean {
  if (!seller?.name) return false;
  return FIELDS.some((field) => norm(seller[field]) !== norm(saved?.[field]));
}

interface Props {
  seller: Party;
  profileSeller: Partial<Party> | null | undefined;
  onSaved: (profile: Profile) => void;
}

/** "Save as my business": the seller told in this chat becomes the profile's, for the next
 * invoices (issue 16; the chat's "save it to my profile" does the same). */
export function SaveSellerOffer({ seller, profileSeller, onSaved }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<HumanError | null>(null);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const signature = FIELDS.map((f) => norm(seller[f])).join("|");
  if (!sellerDiffers(seller, profileSeller) || dismissed === signature) return null;

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const changes = Object.fromEntries(FIELDS.map((f) => [f, seller[f]?.trim() ? seller[f] : null]));
      onSaved(await patchProfile({ seller: changes as Partial<Party> }));
    } catch (e) {
      setError(humanize(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="notice notice-info save-seller" role="region" aria-label="Save seller to profile">
      <div className="notice-body">
        <p>
          {profileSeller?.name ? (
            <>
              This invoice's seller, <strong>{seller.name}</strong>, is not the business in your profile (
              {profileSeller.name}).
            </>
          ) : (
            <>
              Save <strong>{seller.name}</strong> as your business? New invoices then start with it.
            </>
          )}
        </p>
        {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
        <div className="issue-buttons">
          <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => void save()}>
            {busy ? "Saving…" : "Save to my profile"}
          </button>
          <button type="button" className="btn btn-ghost btn-small" disabled={busy} onClick={() => setDismissed(signature)}>
            Not now
          </button>
        </div>
      </div>
    </div>
  );
}
