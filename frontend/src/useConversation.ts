// The chat's state machine: one session (its id in localStorage), one turn at a time, each
// turn followed by long-polling its job (`?wait=`), never by a tight loop.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, getJob, getSession, startTurn } from "./api";
import { fromMeta, fromPending, nameTheAttachment, type AttachmentMeta, type ShownAttachment } from "./attachments";
import { useAttachmentDraft, type AttachmentDraft } from "./useAttachmentDraft";
import { humanize, type HumanError } from "./errors";
import type { Invoice, Job, Session, TokenZone } from "./types";

export const SESSION_KEY = "invoice-agent.session";
export const PENDING_KEY = "invoice-agent.pending";

export type Phase = "loading" | "idle" | "queued" | "running" | "waiting";

export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  state?: "pending" | "failed";
  error?: HumanError;
  /** Files that went with a user message. */
  attachments?: ShownAttachment[];
}

export interface Tokens {
  count: number;
  limit: number;
  warn: number;
  zone: TokenZone;
  warning: string | null;
}

export interface Conversation {
  sessionId: string | null;
  phase: Phase;
  messages: ChatMessage[];
  invoice: Invoice | null;
  tokens: Tokens;
  /** A problem not tied to one message: a refused request, a lost connection, an expired session. */
  error: HumanError | null;
  /** The stored session was gone when the page loaded. */
  expired: boolean;
  /** Seconds until sending is allowed again after a 429. */
  cooldown: number;
  /** Set when a turn just finished, for the status line. */
  lastOutcome: "succeeded" | "failed" | null;
  draft: string;
  setDraft: (text: string) => void;
  /** Files waiting in the composer to go with the next message. */
  attachments: AttachmentDraft;
  send: (text?: string) => void;
  retry: () => void;
  newSession: () => void;
  dismissError: () => void;
}

const DEFAULT_TOKENS: Tokens = { count: 0, limit: 200_000, warn: 160_000, zone: "green", warning: null };
// The first poll waits briefly so the status can move from "queued" to "working"; after that
// each request waits up to 25 s on the server (long-poll).
const FIRST_WAIT = 1;
const LONG_WAIT = 25;

let nextId = 0;
const newId = () => `m${++nextId}`;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

interface Pending {
  jobId: string;
  message: string;
  attachments?: AttachmentMeta[];
}

function readPending(): Pending | null {
  try {
    const raw = storage()?.getItem(PENDING_KEY);
    return raw ? (JSON.parse(raw) as Pending) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    });
  });

/** Follows a job until it is final, reporting each intermediate status. */
export async function followJob(
  jobId: string,
  signal: AbortSignal,
  onStatus: (status: Job["status"]) => void,
): Promise<Job> {
  let wait = FIRST_WAIT;
  for (;;) {
    const started = Date.now();
    const job = await getJob(jobId, wait, signal);
    if (job.status === "succeeded" || job.status === "failed") return job;
    onStatus(job.status);
    // A server that answered at once despite `wait` is not hammered: pause before asking again.
    if (Date.now() - started < 500) await sleep(1000, signal);
    wait = LONG_WAIT;
  }
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === "AbortError";

export function useConversation(): Conversation {
  const [sessionId, setSessionId] = useState<string | null>(() => storage()?.getItem(SESSION_KEY) ?? null);
  const [phase, setPhase] = useState<Phase>(() => (storage()?.getItem(SESSION_KEY) ? "loading" : "idle"));
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [invoice, setInvoice] = useState<Invoice | null>(null);
  const [tokens, setTokens] = useState<Tokens>(DEFAULT_TOKENS);
  const [error, setError] = useState<HumanError | null>(null);
  const [expired, setExpired] = useState(false);
  const [cooldown, setCooldown] = useState(0);
  const [lastOutcome, setLastOutcome] = useState<"succeeded" | "failed" | null>(null);
  const [draft, setDraft] = useState("");
  const attachments = useAttachmentDraft();

  const abortRef = useRef<AbortController | null>(null);
  const retryRef = useRef<(() => void) | null>(null);
  const sessionRef = useRef(sessionId);
  sessionRef.current = sessionId;
  const invoiceRef = useRef(invoice);
  invoiceRef.current = invoice;

  const controller = () => {
    abortRef.current?.abort();
    const c = new AbortController();
    abortRef.current = c;
    return c;
  };

  const rememberSession = (id: string | null) => {
    setSessionId(id);
    sessionRef.current = id;
    if (id) storage()?.setItem(SESSION_KEY, id);
    else storage()?.removeItem(SESSION_KEY);
  };

  const applySession = useCallback((session: Session) => {
    setMessages(
      session.messages.map((m) => ({
        id: newId(),
        role: m.role,
        content: m.content,
        ...(m.attachments?.length ? { attachments: m.attachments.map(fromMeta) } : {}),
      })),
    );
    setInvoice(session.invoice);
    setTokens((t) => ({
      count: session.token_count,
      limit: session.token_limit,
      warn: session.token_warn,
      zone: session.token_zone,
      warning: session.token_zone === "red" ? t.warning : null,
    }));
  }, []);

  /** Everything that follows a job to its end: the reply, the invoice, the tokens. */
  const follow = useCallback(
    async (jobId: string, pendingId: string | null, signal: AbortSignal) => {
      try {
        const job = await followJob(jobId, signal, (status) => setPhase(status === "running" ? "running" : "queued"));
        storage()?.removeItem(PENDING_KEY);
        if (job.status === "succeeded" && job.result) {
          const result = job.result;
          setMessages((ms) => [
            ...ms.map((m) => (m.id === pendingId ? { ...m, state: undefined } : m)),
            { id: newId(), role: "assistant", content: result.reply },
          ]);
          if (result.invoice) setInvoice(result.invoice);
          setTokens((t) => ({
            ...t,
            count: result.token_count ?? t.count,
            zone: result.token_zone ?? t.zone,
            warning: result.warning ?? null,
          }));
          setLastOutcome("succeeded");
        } else {
          const human = humanize(job.error ?? { code: "internal_error", message: "" });
          setMessages((ms) =>
            ms.map((m) =>
              m.id === pendingId
                ? { ...m, state: "failed", error: nameTheAttachment(human, job.error?.details, m.attachments) }
                : m,
            ),
          );
          if (job.error?.code === "session_not_found") {
            rememberSession(null);
            setError(human);
          }
          setLastOutcome("failed");
        }
        setPhase("idle");
      } catch (e) {
        if (isAbort(e)) return;
        const human = humanize(e);
        setError(human);
        retryRef.current = () => {
          const c = controller();
          setError(null);
          setPhase("running");
          void follow(jobId, pendingId, c.signal);
        };
        setPhase("idle");
      }
    },
    [],
  );

  // On load: resume the stored session, and any turn still in flight for it.
  const load = useCallback(
    async (id: string) => {
      const c = controller();
      setPhase("loading");
      try {
        const session = await getSession(id, c.signal);
        applySession(session);
        const pending = readPending();
        if (session.pending_job_id) {
          let pendingId: string | null = null;
          if (pending && pending.jobId === session.pending_job_id) {
            pendingId = newId();
            const pid = pendingId;
            const files = pending.attachments?.length ? { attachments: pending.attachments.map(fromMeta) } : {};
            setMessages((ms) => [...ms, { id: pid, role: "user", content: pending.message, state: "pending", ...files }]);
          }
          setPhase("running");
          await follow(session.pending_job_id, pendingId, c.signal);
        } else {
          storage()?.removeItem(PENDING_KEY);
          setPhase("idle");
        }
      } catch (e) {
        if (isAbort(e)) return;
        if (e instanceof ApiError && e.code === "session_not_found") {
          rememberSession(null);
          storage()?.removeItem(PENDING_KEY);
          setExpired(true);
        } else {
          setError(humanize(e));
          retryRef.current = () => void load(id);
        }
        setPhase("idle");
      }
    },
    [applySession, follow],
  );

  useEffect(() => {
    const id = sessionRef.current;
    if (id) void load(id);
    return () => abortRef.current?.abort();
  }, [load]);

  // The 429 countdown.
  useEffect(() => {
    if (cooldown <= 0) return;
    const timer = setTimeout(() => setCooldown((s) => Math.max(0, s - 1)), 1000);
    return () => clearTimeout(timer);
  }, [cooldown]);

  const send = useCallback(
    (text?: string) => {
      const message = (text ?? draft).trim();
      if (!message || phase !== "idle" || cooldown > 0 || attachments.checking) return;
      const c = controller();
      const pendingId = newId();
      const pendingFiles = attachments.items;
      const shown = pendingFiles.map(fromPending);
      setError(null);
      setExpired(false);
      setLastOutcome(null);
      setMessages((ms) => [
        ...ms,
        { id: pendingId, role: "user", content: message, state: "pending", ...(shown.length ? { attachments: shown } : {}) },
      ]);
      setPhase("queued");
      const kind = invoiceRef.current ? "chat" : "generate";
      void (async () => {
        try {
          const accepted = await startTurn(kind, message, sessionRef.current, pendingFiles.map((p) => p.file));
          rememberSession(accepted.session_id);
          if (pendingFiles.length) {
            // Sent: the files leave the composer; the message keeps its local copies for the
            // previews and learns the server's ids.
            attachments.clear();
            const stored = accepted.attachments ?? [];
            setMessages((ms) =>
              ms.map((m) =>
                m.id === pendingId && stored.length === shown.length
                  ? { ...m, attachments: shown.map((a, i) => ({ ...fromMeta(stored[i]), file: a.file })) }
                  : m,
              ),
            );
          }
          const pending: Pending = { jobId: accepted.job_id, message, ...(accepted.attachments?.length ? { attachments: accepted.attachments } : {}) };
          storage()?.setItem(PENDING_KEY, JSON.stringify(pending));
          setDraft((d) => (d.trim() === message ? "" : d));
          setTokens((t) => ({ ...t, count: accepted.token_count, limit: accepted.token_limit, zone: accepted.token_zone }));
          await follow(accepted.job_id, pendingId, c.signal);
        } catch (e) {
          if (isAbort(e)) return;
          // Refused: the message never joined the conversation; it stays in the box to send again.
          setMessages((ms) => ms.filter((m) => m.id !== pendingId));
          setDraft(message);
          const human = nameTheAttachment(humanize(e), e instanceof ApiError ? e.details : undefined, shown);
          setError(human);
          if (human.code === "session_not_found") rememberSession(null);
          if (human.action.kind === "retry_after") setCooldown(human.action.seconds);
          retryRef.current = () => send(message);
          if (human.action.kind === "wait" && human.action.jobId && sessionRef.current) {
            // Another tab's turn is running: follow it, then show where the conversation stands.
            const sid = sessionRef.current;
            const jobId = human.action.jobId;
            setPhase("waiting");
            try {
              await followJob(jobId, c.signal, () => undefined);
              const session = await getSession(sid, c.signal);
              applySession(session);
              setError(null);
            } catch (inner) {
              if (isAbort(inner)) return;
              setError(humanize(inner));
            }
          }
          setPhase("idle");
        }
      })();
    },
    [draft, phase, cooldown, follow, applySession, attachments],
  );

  const retry = useCallback(() => {
    const again = retryRef.current;
    retryRef.current = null;
    setError(null);
    again?.();
  }, []);

  const newSession = useCallback(() => {
    abortRef.current?.abort();
    rememberSession(null);
    storage()?.removeItem(PENDING_KEY);
    setMessages([]);
    setInvoice(null);
    attachments.clear();
    setTokens(DEFAULT_TOKENS);
    setError(null);
    setExpired(false);
    setLastOutcome(null);
    setPhase("idle");
  }, [attachments.clear]);

  const dismissError = useCallback(() => setError(null), []);

  return {
    sessionId,
    phase,
    messages,
    invoice,
    tokens,
    error,
    expired,
    cooldown,
    lastOutcome,
    draft,
    setDraft,
    attachments,
    send,
    retry,
    newSession,
    dismissError,
  };
}
