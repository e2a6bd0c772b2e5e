// Attachments in the chat: the attach button, the drop zone and paste, the chips (with image
// thumbnails) in the composer and in the conversation, and the problems found before upload.
// Names are rendered as text (React escapes them); previews are blob: URLs, revoked when done.
import { useCallback, useEffect, useRef, useState, type ClipboardEvent, type DragEvent } from "react";
import { saveFile } from "../api";
import {
  ACCEPT,
  ACCEPTED_WORDS,
  formatBytes,
  fromPending,
  isImage,
  isKindProblem,
  kindLabel,
  type ShownAttachment,
} from "../attachments";
import { attachmentUrl, fetchAttachment } from "../attachmentsApi";
import type { AttachmentDraft } from "../useAttachmentDraft";
import "./Attachments.css";

/** A blob: URL for a Blob while the component shows it; revoked when it goes or changes. */
export function useObjectUrl(blob: Blob | null | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) {
      setUrl(null);
      return;
    }
    const made = URL.createObjectURL(blob);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [blob]);
  return url;
}

/** The picture of an image attachment: the local file, else the server's copy (fetched with
 * the API key header). Null for other kinds, while loading, or when it could not be fetched. */
function usePreview(attachment: ShownAttachment, sessionId: string | null): string | null {
  const [remote, setRemote] = useState<Blob | null>(null);
  const image = isImage(attachment);
  const url = !attachment.file && image && sessionId ? attachmentUrl(sessionId, attachment) : null;
  useEffect(() => {
    setRemote(null);
    if (!url) return;
    const controller = new AbortController();
    fetchAttachment(url, controller.signal).then(setRemote, () => undefined);
    return () => controller.abort();
  }, [url]);
  return useObjectUrl(image ? (attachment.file ?? remote) : null);
}

function KindIcon({ kind }: { kind: string }) {
  const short = kind === "jpeg" ? "JPG" : kind.toUpperCase().slice(0, 4);
  return (
    <span className={`attachment-icon attachment-icon-${kind}`} aria-hidden="true">
      {short}
    </span>
  );
}

interface AttachButtonProps {
  onFiles: (files: File[]) => void;
  disabled?: boolean;
  full?: boolean;
}

/** A button that opens the file picker (keyboard: Tab to it, Enter or Space). */
export function AttachButton({ onFiles, disabled, full }: AttachButtonProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="btn btn-ghost attach"
        onClick={() => input.current?.click()}
        disabled={disabled || full}
        aria-label="Attach files"
        title={full ? "As many files as one message can take" : `Attach ${ACCEPTED_WORDS}`}
      >
        <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
          <path
            d="M14.5 9.5l-5.3 5.3a3.3 3.3 0 01-4.7-4.7l6-6a2.2 2.2 0 013.1 3.1l-6 6a1.1 1.1 0 01-1.6-1.6l5.3-5.3"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.7"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      </button>
      <input
        ref={input}
        type="file"
        multiple
        accept={ACCEPT}
        hidden
        tabIndex={-1}
        data-testid="attach-input"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = ""; // the same file can be chosen again after removing it
          if (files.length) onFiles(files);
        }}
      />
    </>
  );
}

/** Files pasted into the box (a screenshot, a file copied in the file manager). A paste that
 * also carries text (cells copied from a spreadsheet come with a picture of them) pastes the
 * text only. */
export function pastedFiles(event: ClipboardEvent): File[] {
  const data = event.clipboardData;
  if (!data || data.getData("text/plain")) return [];
  return Array.from(data.files ?? []);
}

/** Drag and drop of files onto an area: `dragging` while files are held over it. */
export function useFileDrop(onFiles: (files: File[]) => void, enabled: boolean) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes("Files");
  const reset = useCallback(() => {
    depth.current = 0;
    setDragging(false);
  }, []);
  useEffect(() => {
    if (!enabled) reset();
  }, [enabled, reset]);
  // A file dropped beside the chat (on the preview, say) would make the browser open it in
  // place of the app: only the chat takes drops.
  useEffect(() => {
    const refuse = (e: globalThis.DragEvent) => {
      if (!Array.from(e.dataTransfer?.types ?? []).includes("Files")) return;
      e.preventDefault();
      if (e.type === "dragover" && e.dataTransfer) e.dataTransfer.dropEffect = "none";
      if (e.type === "drop") reset();
    };
    window.addEventListener("dragover", refuse);
    window.addEventListener("drop", refuse);
    return () => {
      window.removeEventListener("dragover", refuse);
      window.removeEventListener("drop", refuse);
    };
  }, [reset]);
  return {
    dragging: dragging && enabled,
    handlers: {
      onDragEnter: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth.current += 1;
        if (enabled) setDragging(true);
      },
      onDragOver: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault(); // allows the drop (and keeps the browser from opening the file)
        e.stopPropagation(); // not refused by the window's listener
        if (e.dataTransfer) e.dataTransfer.dropEffect = enabled ? "copy" : "none";
      },
      onDragLeave: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.stopPropagation();
        reset();
        const files = Array.from(e.dataTransfer?.files ?? []);
        if (enabled && files.length) onFiles(files);
      },
    },
  };
}

function Thumb({ attachment, sessionId }: { attachment: ShownAttachment; sessionId: string | null }) {
  const preview = usePreview(attachment, sessionId);
  return preview ? (
    <img className="attachment-thumb" src={preview} alt="" width={40} height={40} />
  ) : (
    <KindIcon kind={attachment.kind} />
  );
}

interface ComposerAttachmentsProps {
  draft: AttachmentDraft;
  disabled?: boolean;
  /** Where the focus goes after a chip is removed (its button is gone). */
  onRemoved?: () => void;
}

/** The chips of the files waiting in the composer, and what was refused. */
export function ComposerAttachments({ draft, disabled, onRemoved }: ComposerAttachmentsProps) {
  if (!draft.items.length && !draft.problems.length && !draft.checking) return null;
  return (
    <div className="composer-attachments">
      {draft.items.length > 0 && (
        <ul className="attachment-list" aria-label={`Attached files (${draft.items.length} of ${draft.limits.maxFiles})`}>
          {draft.items.map((item) => {
            const shown = fromPending(item);
            return (
              <li key={item.id} className="attachment-chip" data-kind={item.kind}>
                <Thumb attachment={shown} sessionId={null} />
                <span className="attachment-text">
                  <span className="attachment-name" title={shown.name}>
                    {shown.name}
                  </span>
                  <span className="attachment-meta">
                    {kindLabel(item.kind)} · {formatBytes(shown.size)}
                  </span>
                </span>
                <button
                  type="button"
                  className="attachment-remove"
                  aria-label={`Remove ${shown.name}`}
                  disabled={disabled}
                  onClick={() => {
                    draft.remove(item.id);
                    onRemoved?.();
                  }}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {draft.checking && (
        <p className="attachment-checking muted" role="status">
          Checking the files…
        </p>
      )}
      {draft.problems.length > 0 && (
        <div className="attachment-problems" role="alert" data-testid="attachment-problems">
          <div>
            <ul>
              {draft.problems.map((p, i) => (
                <li key={`${i}-${p.name}`} data-reason={p.reason}>
                  <strong className="attachment-name">{p.name}</strong>: {p.message}
                </li>
              ))}
            </ul>
            {draft.problems.some(isKindProblem) && <p className="attachment-kinds">We read {ACCEPTED_WORDS}.</p>}
          </div>
          <button type="button" className="btn btn-link" onClick={draft.dismissProblems}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}

interface MessageAttachmentsProps {
  attachments: ShownAttachment[];
  sessionId: string | null;
}

/** The files that went with a message: a thumbnail for images, a chip for the rest; each
 * opens (downloads) the file. */
export function MessageAttachments({ attachments, sessionId }: MessageAttachmentsProps) {
  if (!attachments.length) return null;
  return (
    <ul className="attachment-list message-attachments" aria-label="Attached files">
      {attachments.map((a, i) => (
        <li key={a.attachmentId ?? `${i}-${a.name}`} className="attachment-chip" data-kind={a.kind}>
          <MessageAttachment attachment={a} sessionId={sessionId} />
        </li>
      ))}
    </ul>
  );
}

function MessageAttachment({ attachment: a, sessionId }: { attachment: ShownAttachment; sessionId: string | null }) {
  const [failed, setFailed] = useState(false);
  const url = sessionId ? attachmentUrl(sessionId, a) : null;
  const canOpen = Boolean(a.file || url);
  const open = async () => {
    setFailed(false);
    try {
      const blob = a.file ?? (url ? await fetchAttachment(url) : null);
      if (blob) saveFile({ blob, filename: a.name });
    } catch {
      setFailed(true);
    }
  };
  return (
    <button
      type="button"
      className="attachment-open"
      onClick={() => void open()}
      disabled={!canOpen}
      aria-label={`Download ${a.name} (${kindLabel(a.kind)}, ${formatBytes(a.size)})`}
    >
      <Thumb attachment={a} sessionId={sessionId} />
      <span className="attachment-text">
        <span className="attachment-name" title={a.name}>
          {a.name}
        </span>
        <span className="attachment-meta">
          {failed ? "Could not be fetched; it may have expired" : `${kindLabel(a.kind)} · ${formatBytes(a.size)}`}
        </span>
      </span>
    </button>
  );
}
