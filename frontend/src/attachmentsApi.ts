// Everything the UI asks the API about attachments, in one place (docs/api.md "Attachments"):
// the multipart body of a turn, and the GET of an attached file.
import { headers, request } from "./api";
import type { ShownAttachment } from "./attachments";

/** The multipart/form-data body of POST /api/chat or /api/generate-invoice: `message`,
 * `session_id` when there is one, and one `files` part per file, in order. The browser sets
 * the Content-Type with its boundary. */
export function turnForm(message: string, sessionId: string | null, files: readonly File[]): FormData {
  const form = new FormData();
  form.append("message", message);
  if (sessionId) form.append("session_id", sessionId);
  for (const file of files) form.append("files", file, file.name);
  return form;
}

/** GET /api/session/{id}/attachments/{attachment_id}. The server's `url` is used only when it
 * is that same-origin path: nothing is ever fetched from elsewhere. */
export function attachmentUrl(sessionId: string, attachment: Pick<ShownAttachment, "attachmentId" | "url">): string | null {
  if (attachment.url && /^\/api\/session\/[^/?#]+\/attachments\/[^/?#]+$/.test(attachment.url)) return attachment.url;
  if (!attachment.attachmentId) return null;
  return `/api/session/${encodeURIComponent(sessionId)}/attachments/${encodeURIComponent(attachment.attachmentId)}`;
}

/** The bytes of an attached file, fetched (so an API key header goes along; an <img src>
 * could not send it). */
export async function fetchAttachment(url: string, signal?: AbortSignal): Promise<Blob> {
  const response = await request(url, { headers: headers({ Accept: "*/*" }), signal });
  return response.blob();
}
