import { describe, expect, it } from "vitest";
import {
  checkFiles,
  DEFAULT_LIMITS,
  formatBytes,
  looksLikeTable,
  nameTheAttachment,
  sniff,
  type PendingAttachment,
} from "./attachments";
import { attachmentUrl, turnForm } from "./attachmentsApi";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (ch) => ch.charCodeAt(0)) : p)));

const PNG = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], "IHDR", [0, 0, 1, 0, 0, 0, 1, 0, 8, 2, 0, 0, 0]);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], "JFIF", [0]);
const WEBP = bytes("RIFF", [36, 0, 0, 0], "WEBPVP8 ", [0, 0, 0, 0]);
const PDF = bytes("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");
const XLSX = bytes("PK", [3, 4, 20, 0, 6, 0, 8, 0], "[Content_Types].xml", [0, 0, 0], "PK", [3, 4], "xl/workbook.xml");
const DOCX = bytes("PK", [3, 4, 20, 0, 6, 0, 8, 0], "[Content_Types].xml", "PK", [3, 4], "word/document.xml");
const XLSM = bytes("PK", [3, 4, 20, 0], "xl/vbaProject.bin");
const ZIP = bytes("PK", [3, 4, 20, 0], "notes/readme.txt");
const EXE = bytes("MZ", [0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff], "This program cannot be run in DOS mode");
const ELF = bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
const GIF = bytes("GIF89a", [1, 0, 1, 0, 0, 0, 0]);
const CSV = bytes("Date,Description,Hours,Rate\n2026-11-02,Design review,3.5,95\n2026-11-03,Workshop,6,95\n");
const CSV_SEMI = bytes("Datum;Tätigkeit;Stunden;Satz\n02.11.2026;Konzept;3,5;95,00\n03.11.2026;Workshop;6;95,00\n");
const UBL = bytes([0xef, 0xbb, 0xbf], '<?xml version="1.0" encoding="UTF-8"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">');
const TEXT = bytes("Dear Anna,\nplease bill Acme for the work we did last week.\nThanks!\n");

function utf16le(text: string, bom = true): Uint8Array {
  const out: number[] = bom ? [0xff, 0xfe] : [];
  for (const ch of text) out.push(ch.charCodeAt(0) & 0xff, ch.charCodeAt(0) >> 8);
  return new Uint8Array(out);
}

function file(content: Uint8Array | string, name: string, lastModified = 1): File {
  return new File([content as BlobPart], name, { lastModified });
}

describe("sniff: the kind from the first bytes, not the name", () => {
  it.each([
    [PNG, "photo.png", "png"],
    [JPEG, "receipt.jpg", "jpeg"],
    [WEBP, "receipt.webp", "webp"],
    [PDF, "po.pdf", "pdf"],
    [XLSX, "hours.xlsx", "xlsx"],
    [CSV, "hours.csv", "csv"],
    [CSV_SEMI, "stunden.csv", "csv"],
    [utf16le("Date\tHours\tRate\r\n2026-11-02\t3\t95\r\n"), "export.csv", "csv"],
    [utf16le("Date\tHours\tRate\r\n2026-11-02\t3\t95\r\n", false), "export.csv", "csv"],
    [UBL, "supplier.xml", "xml"],
  ])("reads %#: %s as %s", (head, name, kind) => {
    expect(sniff(head, name)).toEqual({ kind });
  });

  it("believes the bytes over the name", () => {
    expect(sniff(PNG, "timesheet.csv")).toEqual({ kind: "png" });
    expect(sniff(PDF, "no-extension")).toEqual({ kind: "pdf" });
    expect(sniff(CSV, "hours.txt")).toEqual({ kind: "csv" });
  });

  it.each([
    [EXE, "invoice.pdf", "program"],
    [EXE, "receipt.png", "program"],
    [ELF, "hours.csv", "program"],
    [bytes("#!/bin/sh\nrm -rf /\n"), "hours.csv", "program"],
    [GIF, "receipt.gif", "other_format"],
    [bytes("II*\0", [8, 0, 0, 0]), "scan.tif", "other_format"],
    [bytes([0, 0, 0, 0x18], "ftypheic"), "IMG_0001.HEIC", "other_format"],
    [DOCX, "offer.docx", "other_format"],
    [DOCX, "offer.xlsx", "other_format"],
    [XLSM, "hours.xlsm", "macros"],
    [ZIP, "files.zip", "archive"],
    [bytes([0x1f, 0x8b, 8, 0]), "hours.csv.gz", "archive"],
    [TEXT, "note.txt", "plain_text"],
    [bytes("<!DOCTYPE html><html><body>hi</body></html>"), "page.xml", "other_format"],
    [bytes('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "logo.png", "other_format"],
    [bytes([1, 2, 3, 4, 5, 6, 7, 200, 201, 0, 0, 9]), "data.csv", "unknown"],
  ])("refuses %#: %s", (head, name, reason) => {
    const sniffed = sniff(head, name);
    expect(sniffed).toMatchObject({ refused: reason });
  });

  it("refuses an empty file", () => {
    expect(sniff(new Uint8Array(0), "empty.csv", 0)).toEqual({ refused: "empty" });
  });

  it("calls a ZIP a workbook only when it looks like one", () => {
    expect(sniff(ZIP, "hours.xlsx")).toEqual({ kind: "xlsx" }); // the server checks the inside
    expect(sniff(bytes("PK", [3, 4, 20, 0], "xl/styles.xml"), "download")).toEqual({ kind: "xlsx" });
    expect(sniff(ZIP, "hours.zip")).toEqual({ refused: "archive" });
  });
});

describe("looksLikeTable", () => {
  it("wants the same delimiter count on most lines", () => {
    expect(looksLikeTable("a,b,c\n1,2,3\n4,5,6")).toBe(true);
    expect(looksLikeTable("a|b\n1|2")).toBe(true);
    expect(looksLikeTable("Hello, world.\nThis is a letter\nwith no columns at all\nreally none")).toBe(false);
    expect(looksLikeTable("")).toBe(false);
  });
});

describe("checkFiles: before anything is uploaded", () => {
  const limits = { maxFiles: 3, maxBytes: 1000 };

  it("accepts good files and says why each other one was refused, by name", async () => {
    const { accepted, problems } = await checkFiles(
      [file(CSV, "hours.csv"), file(EXE, "invoice.pdf"), file(new Uint8Array(1001).fill(65), "big.csv"), file(PNG, "r.png")],
      [],
      limits,
    );
    expect(accepted.map((a) => [a.file.name, a.kind])).toEqual([
      ["hours.csv", "csv"],
      ["r.png", "png"],
    ]);
    expect(problems.map((p) => [p.name, p.reason])).toEqual([
      ["invoice.pdf", "program"],
      ["big.csv", "too_large"],
    ]);
    expect(problems[1].message).toBe("It is 1001 B; each file can be up to 1000 B.");
    expect(problems[0].message).toBe("Not attached: it is a program, not a document.");
  });

  it("counts the files already attached, and refuses the ones past the limit", async () => {
    const current: PendingAttachment[] = [
      { id: "a", file: file(CSV, "one.csv"), kind: "csv" },
      { id: "b", file: file(CSV, "two.csv"), kind: "csv" },
    ];
    const { accepted, problems } = await checkFiles([file(PDF, "three.pdf"), file(PDF, "four.pdf")], current, limits);
    expect(accepted.map((a) => a.file.name)).toEqual(["three.pdf"]);
    expect(problems).toEqual([{ name: "four.pdf", reason: "too_many", message: "Not added: up to 3 files go with one message." }]);
  });

  it("does not attach the same file twice", async () => {
    const same = file(CSV, "hours.csv", 42);
    const first = await checkFiles([same], [], limits);
    const again = await checkFiles([file(CSV, "hours.csv", 42)], first.accepted, limits);
    expect(again.accepted).toEqual([]);
    expect(again.problems[0]).toMatchObject({ name: "hours.csv", reason: "duplicate" });
  });

  it("checks the size before reading a byte, at the server's defaults", async () => {
    expect(DEFAULT_LIMITS).toEqual({ maxFiles: 5, maxBytes: 10 * 1024 * 1024 });
    const big = new File([new Uint8Array(10 * 1024 * 1024 + 1)], "scan.pdf");
    const exactly = new File([PDF, new Uint8Array(10 * 1024 * 1024 - PDF.length)], "ok.pdf");
    const { accepted, problems } = await checkFiles([big, exactly], []);
    expect(accepted.map((a) => a.file.name)).toEqual(["ok.pdf"]);
    expect(problems).toEqual([{ name: "scan.pdf", reason: "too_large", message: "It is just over 10 MB; each file can be up to 10 MB." }]);
  });

  it("sniffs a renamed program whatever its name says", async () => {
    const { accepted, problems } = await checkFiles([file(EXE, "receipt.png")], []);
    expect(accepted).toEqual([]);
    expect(problems[0].message).toMatch(/program/);
  });
});

describe("formatBytes", () => {
  it("rounds to one decimal", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(48213)).toBe("47.1 KB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatBytes(3.75 * 1024 * 1024)).toBe("3.8 MB");
  });
});

describe("the attachment API shapes (docs/api.md)", () => {
  it("sends message, session_id and one files part per file, in order", () => {
    const a = file(CSV, "hours.csv");
    const b = file(PNG, "receipt.png");
    const form = turnForm("bill Acme for everything at $95/h", "s1", [a, b]);
    expect([...form.keys()]).toEqual(["message", "session_id", "files", "files"]);
    expect(form.get("message")).toBe("bill Acme for everything at $95/h");
    expect((form.getAll("files") as File[]).map((f) => f.name)).toEqual(["hours.csv", "receipt.png"]);
    expect([...turnForm("hi", null, [a]).keys()]).toEqual(["message", "files"]);
  });

  it("fetches only from our own attachment path", () => {
    expect(attachmentUrl("s1", { attachmentId: "ab12" })).toBe("/api/session/s1/attachments/ab12");
    expect(attachmentUrl("s1", { attachmentId: "ab12", url: "/api/session/s1/attachments/ab12" })).toBe("/api/session/s1/attachments/ab12");
    expect(attachmentUrl("s1", { attachmentId: "ab12", url: "https://evil.example/x" })).toBe("/api/session/s1/attachments/ab12");
    expect(attachmentUrl("s1", { attachmentId: "../x", url: "//evil.example/api/session/s/attachments/a" })).toBe(
      "/api/session/s1/attachments/..%2Fx",
    );
    expect(attachmentUrl("s1", {})).toBeNull();
  });
});

describe("nameTheAttachment", () => {
  const human = { title: "A file could not be read", points: ["row 3: no hours"] };
  const files = [{ name: "hours.csv" }, { name: "<b>receipt</b>.png" }];

  it("says which file the server's position means", () => {
    expect(nameTheAttachment(human, { attachment: 2 }, files).points).toEqual(["Attachment 2 is <b>receipt</b>.png.", "row 3: no hours"]);
  });

  it("leaves the answer alone without a position it can place", () => {
    for (const details of [undefined, {}, { attachment: "2" }, { attachment: 0 }, { attachment: 3 }, { attachment: 1.5 }]) {
      expect(nameTheAttachment(human, details, files)).toEqual(human);
    }
    expect(nameTheAttachment(human, { attachment: 1 }, undefined)).toEqual(human);
  });
});
