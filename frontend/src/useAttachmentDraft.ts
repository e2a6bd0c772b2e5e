// The files in the composer, waiting to go with the next message: added by the button, a drop
// or a paste, each checked at once (attachments.ts); what was refused is said, with the name.
import { useCallback, useRef, useState } from "react";
import { checkFiles, DEFAULT_LIMITS, type AttachmentLimits, type AttachmentProblem, type PendingAttachment } from "./attachments";

export interface AttachmentDraft {
  items: PendingAttachment[];
  problems: AttachmentProblem[];
  /** True while added files are being checked (their first bytes read). */
  checking: boolean;
  limits: AttachmentLimits;
  add: (files: Iterable<File> | ArrayLike<File>) => Promise<void>;
  remove: (id: string) => void;
  clear: () => void;
  dismissProblems: () => void;
}

export function useAttachmentDraft(limits: AttachmentLimits = DEFAULT_LIMITS): AttachmentDraft {
  const [items, setItems] = useState<PendingAttachment[]>([]);
  const [problems, setProblems] = useState<AttachmentProblem[]>([]);
  const [checking, setChecking] = useState(0);
  const itemsRef = useRef(items);
  // Additions are checked one after another, each against what the ones before accepted.
  const queue = useRef<Promise<void>>(Promise.resolve());

  const set = (next: PendingAttachment[]) => {
    itemsRef.current = next;
    setItems(next);
  };

  const add = useCallback(
    (files: Iterable<File> | ArrayLike<File>) => {
      const incoming = Array.from(files);
      if (!incoming.length) return Promise.resolve();
      setChecking((n) => n + 1);
      const run = queue.current.then(async () => {
        try {
          const { accepted, problems: found } = await checkFiles(incoming, itemsRef.current, limits);
          if (accepted.length) set([...itemsRef.current, ...accepted]);
          setProblems(found);
        } finally {
          setChecking((n) => n - 1);
        }
      });
      queue.current = run.catch(() => undefined);
      return run;
    },
    [limits],
  );

  const remove = useCallback((id: string) => {
    set(itemsRef.current.filter((item) => item.id !== id));
    setProblems([]);
  }, []);

  const clear = useCallback(() => {
    set([]);
    setProblems([]);
  }, []);

  const dismissProblems = useCallback(() => setProblems([]), []);

  return { items, problems, checking: checking > 0, limits, add, remove, clear, dismissProblems };
}
