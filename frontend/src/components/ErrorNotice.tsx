import { useState } from "react";
import { setApiKey } from "../api";
import type { HumanError } from "../errors";

interface Props {
  error: HumanError;
  onRetry?: () => void;
  onNewSession?: () => void;
  onDismiss?: () => void;
  /** Seconds left before a rate-limited action may be retried. */
  cooldown?: number;
}

/** An error as a person reads it: what happened, what to do, and a button to do it. */
export function ErrorNotice({ error, onRetry, onNewSession, onDismiss, cooldown = 0 }: Props) {
  const [key, setKey] = useState("");
  const { action } = error;
  const waiting = action.kind === "wait";
  return (
    <div className={`notice ${waiting ? "notice-info" : "notice-error"}`} role={waiting ? "status" : "alert"} data-code={error.code}>
      <div className="notice-body">
        <p className="notice-title">{error.title}</p>
        <p>
          {action.kind === "retry_after" && cooldown > 0
            ? `You're going a little fast. You can send again in ${cooldown} s.`
            : action.kind === "retry_after"
              ? "You can send again now."
              : error.message}
        </p>
        {error.points.length > 0 && (
          <ul className="notice-points">
            {error.points.map((point) => (
              <li key={point}>{point}</li>
            ))}
          </ul>
        )}
        {action.kind === "api_key" && (
          <form
            className="api-key-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (!key.trim()) return;
              setApiKey(key.trim());
              onRetry?.();
            }}
          >
            <label htmlFor="api-key">API key</label>
            <input id="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />
            <button type="submit" className="btn btn-primary btn-small">
              Save and retry
            </button>
          </form>
        )}
      </div>
      <div className="notice-actions">
        {action.kind === "new_session" && onNewSession && (
          <button type="button" className="btn btn-primary btn-small" onClick={onNewSession}>
            Start a new session
          </button>
        )}
        {action.kind === "retry" && onRetry && (
          <button type="button" className="btn btn-primary btn-small" onClick={onRetry}>
            Retry
          </button>
        )}
        {onDismiss && !waiting && (
          <button type="button" className="btn btn-ghost btn-small" onClick={onDismiss} aria-label="Dismiss this message">
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}
