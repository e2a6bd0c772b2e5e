import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import type { Conversation } from "../useConversation";
import { AttachButton, ComposerAttachments, MessageAttachments, pastedFiles, useFileDrop } from "./Attachments";
import { ErrorNotice } from "./ErrorNotice";
import { TokenMeter } from "./TokenMeter";

export const EXAMPLES = [
  "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days",
  "Bill Wayne Enterprises €2,400 for logo design and 3 x brand workshop @ €650 each, 19% VAT, net 15",
  "Invoice Initech for 12 widgets at 19.99 each and $750 for setup, due on receipt",
];

interface Props {
  conversation: Conversation;
  locale: string;
  composerRef: React.RefObject<HTMLTextAreaElement | null>;
  /** Shown in place of the message box (the invoice is issued: it cannot be edited by chat). */
  composerNotice?: React.ReactNode;
}

function useElapsed(active: boolean): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    setSeconds(0);
    if (!active) return;
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return seconds;
}

function statusText(c: Conversation, elapsed: number): string {
  const after = elapsed >= 3 ? ` · ${elapsed} s` : "";
  switch (c.phase) {
    case "loading":
      return "Loading your conversation…";
    case "queued":
      return `Queued — waiting for the assistant${after}`;
    case "running":
      return `Working on your invoice${after}`;
    case "waiting":
      return `Waiting for your previous message to finish${after}`;
    default:
      if (c.lastOutcome === "succeeded") return "Done — invoice updated.";
      if (c.lastOutcome === "failed") return "That message could not be applied.";
      return "";
  }
}

export function ChatPanel({ conversation: c, locale, composerRef, composerNotice }: Props) {
  const listRef = useRef<HTMLOListElement>(null);
  const busy = c.phase !== "idle";
  const elapsed = useElapsed(c.phase === "queued" || c.phase === "running" || c.phase === "waiting");
  const status = statusText(c, elapsed);
  const canSend = !busy && c.cooldown === 0 && c.draft.trim().length > 0 && !c.attachments.checking;
  // Once the invoice is issued (the notice stands in for the box) no file can be attached:
  // drops are ignored, and files still waiting in the composer are dropped.
  const closed = composerNotice != null && composerNotice !== false;
  const addFiles = (files: File[]) => {
    if (!closed) void c.attachments.add(files);
  };
  const drop = useFileDrop(addFiles, !busy && !closed);
  const clearFiles = c.attachments.clear;
  useEffect(() => {
    if (closed) clearFiles();
  }, [closed, clearFiles]);

  // Keep the newest message in view.
  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [c.messages.length, c.phase]);

  // Give the focus back to the box when a turn ends (it was disabled meanwhile).
  const wasBusy = useRef(busy);
  useEffect(() => {
    if (wasBusy.current && !busy) composerRef.current?.focus();
    wasBusy.current = busy;
  }, [busy, composerRef]);

  // Grow the box with its text, up to a limit.
  useEffect(() => {
    const box = composerRef.current;
    if (!box) return;
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight, 200)}px`;
  }, [c.draft, composerRef]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter is a new line; an IME composition's Enter is left alone.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (canSend) c.send();
    }
  };

  const fillComposer = (text: string) => {
    c.setDraft(text);
    composerRef.current?.focus();
  };

  return (
    <section className={`chat${drop.dragging ? " is-dragging" : ""}`} aria-labelledby="chat-title" {...drop.handlers}>
      <div className="panel-head">
        <h2 id="chat-title">Conversation</h2>
      </div>

      <ol className="messages" ref={listRef} role="log" aria-live="polite" aria-label="Messages" aria-busy={busy || undefined}>
        {c.messages.length === 0 && c.phase !== "loading" && (
          <li className="welcome">
            {c.expired ? (
              <div className="notice notice-info" role="status" data-code="session_expired">
                <div className="notice-body">
                  <p className="notice-title">Your previous session has expired</p>
                  <p>Sessions end after an hour without activity. Start a new one — describe the invoice again below.</p>
                </div>
                <div className="notice-actions">
                  <button type="button" className="btn btn-primary btn-small" onClick={() => { c.newSession(); composerRef.current?.focus(); }}>
                    Start a new session
                  </button>
                </div>
              </div>
            ) : (
              <>
                <p className="welcome-title">Describe an invoice in plain English.</p>
                <p className="muted">The assistant drafts it; you refine it by chatting. Try one of these:</p>
              </>
            )}
            <ul className="examples">
              {EXAMPLES.map((example) => (
                <li key={example}>
                  <button type="button" className="example" onClick={() => fillComposer(example)}>
                    {example}
                  </button>
                </li>
              ))}
            </ul>
          </li>
        )}
        {c.messages.map((m) => (
          <li key={m.id} className={`message message-${m.role}${m.state ? ` is-${m.state}` : ""}`} data-role={m.role}>
            <span className="visually-hidden">{m.role === "user" ? "You:" : "Assistant:"} </span>
            <div className="bubble">{m.content}</div>
            {m.attachments && <MessageAttachments attachments={m.attachments} sessionId={c.sessionId} />}
            {m.state === "pending" && <span className="visually-hidden">(sending)</span>}
            {m.state === "failed" && m.error && (
              <div className="message-error">
                <strong>Not applied.</strong> {m.error.title}. {m.error.message}
                {m.error.points.length > 0 && (
                  <ul>
                    {m.error.points.map((p) => (
                      <li key={p}>{p}</li>
                    ))}
                  </ul>
                )}
                <button
                  type="button"
                  className="btn btn-link"
                  onClick={() => {
                    fillComposer(m.content);
                    const files = (m.attachments ?? []).flatMap((a) => (a.file ? [a.file] : []));
                    if (files.length) addFiles(files);
                  }}
                  disabled={busy || closed}
                >
                  Edit and resend
                </button>
              </div>
            )}
          </li>
        ))}
        {(c.phase === "queued" || c.phase === "running") && (
          <li className="message message-assistant is-typing" aria-hidden="true">
            <div className="bubble">
              <span className="dot" />
              <span className="dot" />
              <span className="dot" />
            </div>
          </li>
        )}
      </ol>

      <div className="chat-foot">
        <div className="foot-row">
          <p className={`status status-${c.phase}`} role="status" aria-live="polite" data-testid="turn-status">
            {busy && <span className="spinner" aria-hidden="true" />}
            {status}
          </p>
          <TokenMeter tokens={c.tokens} locale={locale} />
        </div>
        {drop.dragging && <p className="drop-hint">Drop the files to attach them to your message</p>}
        {!closed && <ComposerAttachments draft={c.attachments} disabled={busy} onRemoved={() => composerRef.current?.focus()} />}
        {c.error && (
          <ErrorNotice
            error={c.error}
            cooldown={c.cooldown}
            onRetry={c.retry}
            onNewSession={() => {
              c.newSession();
              composerRef.current?.focus();
            }}
            onDismiss={c.dismissError}
          />
        )}
        {composerNotice}
        {!composerNotice && (
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            if (canSend) c.send();
          }}
        >
          <label htmlFor="message" className="visually-hidden">
            Message to the invoice assistant
          </label>
          <AttachButton onFiles={addFiles} disabled={busy} full={c.attachments.items.length >= c.attachments.limits.maxFiles} />
          <textarea
            id="message"
            ref={composerRef}
            rows={1}
            value={c.draft}
            onChange={(e) => c.setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            onPaste={(e) => {
              const files = pastedFiles(e);
              if (!files.length) return;
              e.preventDefault();
              addFiles(files);
            }}
            disabled={busy}
            placeholder={
              c.attachments.items.length
                ? "What to do with them?"
                : c.messages.length
                  ? "Ask for a change…"
                  : "Describe the invoice…"
            }
            aria-describedby="composer-hint"
          />
          <button type="submit" className="btn btn-primary send" disabled={!canSend} aria-label="Send message">
            <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
              <path d="M3.5 10h11M10.5 5l5 5-5 5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
            </svg>
            <span className="send-label">Send</span>
          </button>
        </form>
        )}
        {!composerNotice && (
        <p id="composer-hint" className="hint">
          <kbd>Enter</kbd> to send · <kbd>Shift</kbd> + <kbd>Enter</kbd> for a new line · attach files with the clip, a drop or
          a paste
        </p>
        )}
      </div>
    </section>
  );
}
