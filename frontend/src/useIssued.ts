// Whether the chat's session was issued, and as which invoice. The session in Redis keeps its
// draft; the issued invoice lives in the records: this browser remembers the number it got.
import { useCallback, useEffect, useState } from "react";
import { getIssuedInvoice, issuedNumberOf, rememberIssued, type IssuedInvoice } from "./records";

export interface IssuedState {
  issued: IssuedInvoice | null;
  setIssued: (invoice: IssuedInvoice) => void;
}

export function useIssued(sessionId: string | null): IssuedState {
  const [issued, setIssuedState] = useState<IssuedInvoice | null>(null);
  useEffect(() => {
    setIssuedState(null);
    const number = issuedNumberOf(sessionId);
    if (!number) return;
    const controller = new AbortController();
    getIssuedInvoice(number, controller.signal).then(setIssuedState, () => undefined);
    return () => controller.abort();
  }, [sessionId]);
  const setIssued = useCallback(
    (invoice: IssuedInvoice) => {
      if (sessionId) rememberIssued(sessionId, invoice.number);
      setIssuedState(invoice);
    },
    [sessionId],
  );
  return { issued, setIssued };
}
