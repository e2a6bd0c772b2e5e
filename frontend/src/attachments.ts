// Files attached to a chat message (issue 19): what we accept, judged from the first bytes of
// the file and not from its name, and the problems a person sees BEFORE anything is uploaded.
// The server checks everything again (docs/attachments.md); this is to say it early and kindly.

/** The server's defaults (MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES); the server has the last word. */
export interface AttachmentLimits {
  maxFiles: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: AttachmentLimits = { maxFiles: 5, maxBytes: 10 * 1024 * 1024 };

export type AttachmentKind = "png" | "jpeg" | "webp" | "pdf" | "csv" | "xlsx" | "xml";

export const IMAGE_KINDS: ReadonlySet<AttachmentKind> = new Set(["png", "jpeg", "webp"]);

export const KIND_LABELS: Record<AttachmentKind, string> = {
  png: "PNG image",
  jpeg: "JPEG image",
  webp: "WebP image",
  pdf: "PDF",
  csv: "CSV table",
  xlsx: "Excel workbook",
  xml: "XML e-invoice",
};

/** Words for a kind, the server's (ubl, cii) included. */
export function kindLabel(kind: string): string {
  if (kind === "ubl") return "UBL e-invoice";
  if (kind === "cii") return "CII e-invoice";
  return KIND_LABELS[kind as AttachmentKind] ?? kind.toUpperCase();
}

export const CONTENT_TYPES: Record<AttachmentKind, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  pdf: "application/pdf",
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  xml: "application/xml",
};

/** For the file picker: what it offers first. Anything dropped or pasted is sniffed all the same. */
export const ACCEPT = [
  ".png", ".jpg", ".jpeg", ".webp", ".pdf", ".csv", ".xlsx", ".xml",
  ...new Set(Object.values(CONTENT_TYPES)),
  "text/xml",
].join(",");

export const ACCEPTED_WORDS = "PNG, JPEG, WebP, PDF, CSV, XLSX or an XML e-invoice (UBL, CII)";

export type RefusalReason =
  | "empty"
  | "program"
  | "other_format"
  | "archive"
  | "macros"
  | "plain_text"
  | "unknown";

export type Sniffed = { kind: AttachmentKind } | { refused: RefusalReason; format?: string };

/** How many first bytes the sniffing reads. */
export const HEAD_BYTES = 4096;

const ascii = (head: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...head.subarray(start, Math.min(end, head.length)));

const startsWith = (head: Uint8Array, bytes: number[], at = 0) =>
  head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

/** The kind of a file from its first bytes (HEAD_BYTES of them) and, only where the bytes
 * cannot tell (a ZIP that may be a workbook), its name. `size` is the whole file's. */
export function sniff(head: Uint8Array, name: string, size: number = head.length): Sniffed {
  if (size === 0 || head.length === 0) return { refused: "empty" };
  const lower = name.toLowerCase();

  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: "png" };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: "jpeg" };
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return { kind: "webp" };
  if (ascii(head, 0, 1024).includes("%PDF-")) return { kind: "pdf" };

  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    const names = ascii(head, 0, head.length);
    if (lower.endsWith(".xlsm") || names.includes("vbaProject.bin")) return { refused: "macros" };
    if (names.includes("word/") || lower.endsWith(".docx")) return { refused: "other_format", format: "a Word document" };
    if (lower.endsWith(".ods") || names.includes("opendocument")) return { refused: "other_format", format: "an OpenDocument file" };
    if (names.includes("xl/") || lower.endsWith(".xlsx")) return { kind: "xlsx" };
    return { refused: "archive" };
  }

  if (ascii(head, 0, 2) === "MZ" || startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return { refused: "program" };
  for (const magic of [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe], [0xca, 0xfe, 0xba, 0xbe]]) {
    if (startsWith(head, magic)) return { refused: "program" };
  }
  if (ascii(head, 0, 2) === "#!") return { refused: "program" };
  if (ascii(head, 0, 4) === "GIF8") return { refused: "other_format", format: "a GIF image" };
  if (ascii(head, 0, 4) === "II*\0" || ascii(head, 0, 4) === "MM\0*") return { refused: "other_format", format: "a TIFF image" };
  if (ascii(head, 4, 8) === "ftyp") return { refused: "other_format", format: "a HEIC image or a video" };
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0])) return { refused: "other_format", format: "an old Office file (XLS or DOC)" };
  if (ascii(head, 0, 4) === "Rar!" || startsWith(head, [0x37, 0x7a, 0xbc, 0xaf]) || startsWith(head, [0x1f, 0x8b]) || ascii(head, 0, 3) === "BZh") {
    return { refused: "archive" };
  }

  const text = decodeText(head);
  if (text === null) return { refused: "unknown" };
  const body = text.replace(/^\s+/, "");
  if (body.startsWith("<")) {
    if (/^<(!doctype\s+html|html[\s>])/i.test(body)) return { refused: "other_format", format: "a web page" };
    if (/<svg[\s>]/i.test(body.slice(0, 1000))) return { refused: "other_format", format: "an SVG image" };
    return { kind: "xml" };
  }
  if (looksLikeTable(body)) return { kind: "csv" };
  return { refused: "plain_text" };
}

/** The text of the head, or null when it is binary. UTF-16 (BOM, or NULs in every other byte),
 * else UTF-8 / Latin-1: only the shape matters here, so lax decoding is fine. */
function decodeText(head: Uint8Array): string | null {
  let bytes = head;
  let encoding = "utf-8";
  if (startsWith(head, [0xff, 0xfe])) encoding = "utf-16le";
  else if (startsWith(head, [0xfe, 0xff])) encoding = "utf-16be";
  else if (head.length >= 8 && everyOther(head, 1)) encoding = "utf-16le";
  else if (head.length >= 8 && everyOther(head, 0)) encoding = "utf-16be";
  if (encoding.startsWith("utf-16")) {
    bytes = head.subarray(0, head.length - (head.length % 2));
  } else {
    // NUL or most other control characters: binary, not text
    let control = 0;
    for (const b of head) {
      if (b === 0) return null;
      if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
    }
    if (control > head.length / 50) return null;
  }
  return new TextDecoder(encoding).decode(bytes).replace(/^\uFEFF/, "");
}

function everyOther(head: Uint8Array, offset: number): boolean {
  let nul = 0;
  let pairs = 0;
  for (let i = offset; i < head.length; i += 2) {
    pairs++;
    if (head[i] === 0) nul++;
  }
  return nul >= pairs * 0.9;
}

/** A table when one of , ; tab | splits most of the first lines into the same number of cells
 * (at least two). The last line may be cut short by the head. */
export function looksLikeTable(text: string): boolean {
  const lines = text.split(/\r\n|\n|\r/).filter((l) => l.trim() !== "");
  if (text.length >= HEAD_BYTES - 4 && lines.length > 1) lines.pop();
  const sample = lines.slice(0, 20);
  if (!sample.length) return false;
  return [",", ";", "\t", "|"].some((d) => {
    const counts = sample.map((l) => l.split(d).length - 1);
    const first = counts[0];
    if (first < 1) return false;
    if (sample.length === 1) return true;
    const agreeing = counts.filter((c) => c === first).length;
    return agreeing >= Math.ceil(sample.length * 0.6);
  });
}

/** The first bytes of a file (or any Blob). */
export async function readHead(file: Blob, bytes = HEAD_BYTES): Promise<Uint8Array> {
  const part = file.slice(0, bytes);
  if (typeof part.arrayBuffer === "function") return new Uint8Array(await part.arrayBuffer());
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(part);
  });
}

/** A file in the composer, checked and waiting to go with the next message. */
export interface PendingAttachment {
  id: string;
  file: File;
  kind: AttachmentKind;
}

export type ProblemReason = RefusalReason | "too_large" | "too_many" | "duplicate" | "unreadable";

export interface AttachmentProblem {
  /** The file's name: shown as text, never as markup. */
  name: string;
  reason: ProblemReason;
  message: string;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(Math.round((n / 1024) * 10) / 10).toLocaleString("en-US")} KB`;
  return `${(Math.round((n / (1024 * 1024)) * 10) / 10).toLocaleString("en-US")} MB`;
}

const REFUSAL_WORDS: Record<RefusalReason, string> = {
  empty: "it is empty",
  program: "it is a program, not a document",
  other_format: "we cannot read this kind of file",
  archive: "it is an archive: unpack it and attach the files inside",
  macros: "it is a workbook with macros: save it as XLSX (without macros)",
  plain_text: "it is plain text: paste the text into the message instead",
  unknown: "we could not tell what kind of file it is",
};

export function problemMessage(reason: ProblemReason, file: { name: string; size: number }, limits: AttachmentLimits, format?: string): string {
  switch (reason) {
    case "too_large": {
      const max = formatBytes(limits.maxBytes);
      const size = formatBytes(file.size);
      return `It is ${size === max ? `just over ${max}` : size}; each file can be up to ${max}.`;
    }
    case "too_many":
      return `Not added: up to ${limits.maxFiles} files go with one message.`;
    case "duplicate":
      return "It is attached already.";
    case "unreadable":
      return "Your browser could not read it. Try attaching it again.";
    case "other_format":
      return `Not attached: ${format ? `it is ${format}, which` : "this kind of file"} we cannot read.`;
    default:
      return `Not attached: ${REFUSAL_WORDS[reason]}.`;
  }
}

/** Whether a problem is about the kind of file (then the list of kinds we read helps). */
export const isKindProblem = (p: AttachmentProblem) =>
  !["too_large", "too_many", "duplicate", "unreadable"].includes(p.reason);

let nextAttachment = 0;

const sameFile = (a: File, b: File) => a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;

/** Checks files a person just added against those already in the composer: the count, then
 * each file's size, then its first bytes. Nothing is uploaded here. */
export async function checkFiles(
  incoming: readonly File[],
  current: readonly PendingAttachment[],
  limits: AttachmentLimits = DEFAULT_LIMITS,
): Promise<{ accepted: PendingAttachment[]; problems: AttachmentProblem[] }> {
  const accepted: PendingAttachment[] = [];
  const problems: AttachmentProblem[] = [];
  const refuse = (file: File, reason: ProblemReason, format?: string) =>
    problems.push({ name: file.name || "(no name)", reason, message: problemMessage(reason, file, limits, format) });

  for (const file of incoming) {
    if ([...current, ...accepted].some((p) => sameFile(p.file, file))) {
      refuse(file, "duplicate");
      continue;
    }
    if (file.size > limits.maxBytes) {
      refuse(file, "too_large");
      continue;
    }
    let head: Uint8Array;
    try {
      head = await readHead(file);
    } catch {
      refuse(file, "unreadable");
      continue;
    }
    const sniffed = sniff(head, file.name, file.size);
    if ("refused" in sniffed) {
      refuse(file, sniffed.refused, sniffed.format);
      continue;
    }
    if (current.length + accepted.length >= limits.maxFiles) {
      refuse(file, "too_many");
      continue;
    }
    accepted.push({ id: `att${++nextAttachment}`, file, kind: sniffed.kind });
  }
  return { accepted, problems };
}

/** An attachment as the server describes it on a message (docs/api.md). */
export interface AttachmentMeta {
  attachment_id: string;
  kind: string;
  content_type: string;
  size: number;
  name: string;
  /** Where GET answers the bytes: /api/session/{id}/attachments/{attachment_id}. */
  url?: string;
}

/** An attachment shown in the conversation: the local file while the message is on its way,
 * the server's copy (by id) once the session has it. */
export interface ShownAttachment {
  name: string;
  size: number;
  kind: string;
  contentType: string;
  file?: File;
  attachmentId?: string;
  /** The server's URL for it (same origin, under /api/). */
  url?: string;
}

export const isImage = (a: { kind: string; contentType?: string }) =>
  IMAGE_KINDS.has(a.kind as AttachmentKind) || /^image\/(png|jpeg|webp)$/.test(a.contentType ?? "");

export function fromPending(p: PendingAttachment): ShownAttachment {
  return { name: p.file.name, size: p.file.size, kind: p.kind, contentType: CONTENT_TYPES[p.kind], file: p.file };
}

export function fromMeta(m: AttachmentMeta): ShownAttachment {
  return { name: m.name, size: m.size, kind: m.kind, contentType: m.content_type, attachmentId: m.attachment_id, url: m.url };
}

/** The server numbers files ("Attachment 2: …", `details.attachment` = 2) and never repeats
 * their names; the person knows them by name, so the answer says which file that is. */
export function nameTheAttachment<T extends { points: string[] }>(
  human: T,
  details: Record<string, unknown> | undefined,
  files: readonly { name: string }[] | undefined,
): T {
  const position = details?.attachment;
  if (typeof position !== "number" || !files || !Number.isInteger(position)) return human;
  const file = files[position - 1];
  if (!file) return human;
  return { ...human, points: [`Attachment ${position} is ${file.name}.`, ...human.points] };
}
