import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { setApiKey } from "../api";
import type { AttachmentMeta } from "../attachments";
import { apiError, json, mockFetch } from "../test/fetch";
import { SESSION, accepted, acmeInvoice, job, session, succeeded } from "../test/fixtures";
import { issued, profile } from "../test/records";
import { PENDING_KEY, SESSION_KEY } from "../useConversation";

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const CSV_TEXT = "Date,Description,Hours,Rate\n2026-11-02,Design review,3.5,95\n2026-11-03,Workshop,6,95\n";
const EXE_BYTES = new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0]);

const png = (name = "receipt.png") => new File([PNG_BYTES], name, { type: "image/png", lastModified: 1 });
const csv = (name = "timesheet.csv") => new File([CSV_TEXT], name, { type: "text/csv", lastModified: 1 });

function meta(id: string, name: string, kind: string, contentType: string, size: number): AttachmentMeta {
  return { attachment_id: id, kind, content_type: contentType, size, name, url: `/api/session/${SESSION}/attachments/${id}` };
}

let created: { url: string; blob: Blob }[];
let revoked: string[];

beforeEach(() => {
  window.history.replaceState(null, "", "/");
  created = [];
  revoked = [];
  let n = 0;
  vi.stubGlobal(
    "URL",
    Object.assign(URL, {
      createObjectURL: vi.fn((blob: Blob) => {
        const url = `blob:test/${++n}`;
        created.push({ url, blob });
        return url;
      }),
      revokeObjectURL: vi.fn((url: string) => revoked.push(url)),
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  setApiKey(null);
});

const box = () => screen.getByLabelText("Message to the invoice assistant");
const chat = () => screen.getByRole("region", { name: "Conversation" });
const composerFiles = () => screen.queryByRole("list", { name: /^Attached files \(/ });

function dropFiles(files: File[]) {
  const dataTransfer = { files, types: ["Files"], dropEffect: "none" };
  fireEvent.dragEnter(chat(), { dataTransfer });
  fireEvent.dragOver(chat(), { dataTransfer });
  fireEvent.drop(chat(), { dataTransfer });
}

describe("attaching files to a message", () => {
  it("by the button: a chip with a thumbnail, sent as multipart, then shown in the conversation", async () => {
    const stored = [meta("a".repeat(32), "receipt.png", "png", "image/png", PNG_BYTES.length)];
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => json(202, { ...accepted("j1"), attachments: stored }) },
      { method: "GET", path: /\/api\/jobs\/j1/, respond: () => json(200, succeeded("j1", acmeInvoice(), "Billed the receipt.", 90)) },
    ]);
    const user = userEvent.setup();
    render(<App />);

    await user.upload(screen.getByTestId("attach-input"), png());
    const chips = await screen.findByRole("list", { name: "Attached files (1 of 5)" });
    expect(within(chips).getByText("receipt.png")).toBeInTheDocument();
    expect(within(chips).getByText(/PNG image · 16 B/)).toBeInTheDocument();
    // The preview's object URL is made in an effect: it shows a moment after the chip.
    const thumb = await waitFor(() => {
      const img = chips.querySelector("img.attachment-thumb");
      expect(img?.getAttribute("src")).toMatch(/^blob:test\//);
      return img as HTMLImageElement;
    });
    expect(created.find((c) => c.url === thumb.getAttribute("src"))?.blob).toBeInstanceOf(File);
    expect(calls).toEqual([]); // nothing uploaded yet
    expect(box()).toHaveAttribute("placeholder", "What to do with them?");

    await user.type(box(), "bill this receipt to Acme{Enter}");
    await screen.findByText("Billed the receipt.");

    const post = calls[0];
    expect(post.url).toBe("/api/generate-invoice");
    expect(post.body).toBeInstanceOf(FormData);
    const form = post.body as FormData;
    expect([...form.keys()]).toEqual(["message", "files"]);
    expect(form.get("message")).toBe("bill this receipt to Acme");
    expect((form.get("files") as File).name).toBe("receipt.png");
    expect(post.headers["Content-Type"]).toBeUndefined(); // the browser sets the boundary

    // The composer is empty again and its preview URL was revoked; the message shows the file.
    expect(composerFiles()).toBeNull();
    expect(revoked).toContain(thumb.getAttribute("src"));
    const sent = screen.getByRole("list", { name: "Attached files" });
    expect(within(sent).getByRole("button", { name: "Download receipt.png (PNG image, 16 B)" })).toBeInTheDocument();
    await waitFor(() => expect(sent.querySelector("img")?.getAttribute("src")).toMatch(/^blob:test\//));
  });

  it("refuses too large, too many and unsupported files before any upload, naming each as text", async () => {
    const { calls } = mockFetch([]);
    render(<App />);
    const hostile = new File([EXE_BYTES], '<img src=x onerror="alert(1)">.png', { lastModified: 2 });
    const big = new File([new Uint8Array(10 * 1024 * 1024 + 1)], "scan.pdf", { lastModified: 3 });
    const sheets = Array.from({ length: 6 }, (_, i) => csv(`week-${i + 1}.csv`));

    await act(async () => dropFiles([hostile, big, ...sheets]));
    const problems = await screen.findByTestId("attachment-problems");
    expect(problems).toHaveAttribute("role", "alert");
    const lines = within(problems).getAllByRole("listitem");
    expect(lines.map((l) => l.getAttribute("data-reason"))).toEqual(["program", "too_large", "too_many"]);
    expect(lines[0]).toHaveTextContent('<img src=x onerror="alert(1)">.png: Not attached: it is a program, not a document.');
    expect(lines[1]).toHaveTextContent("scan.pdf: It is just over 10 MB; each file can be up to 10 MB.");
    expect(lines[2]).toHaveTextContent("week-6.csv: Not added: up to 5 files go with one message.");
    expect(within(problems).getByText("We read PNG, JPEG, WebP, PDF, CSV, XLSX or an XML e-invoice (UBL, CII).")).toBeInTheDocument();
    expect(document.querySelector('img[src="x"]')).toBeNull();

    expect(composerFiles()).toHaveAccessibleName("Attached files (5 of 5)");
    expect(screen.getByRole("button", { name: "Attach files" })).toBeDisabled(); // full
    expect(calls).toEqual([]);

    fireEvent.click(within(problems).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("attachment-problems")).toBeNull();
  });

  it("by paste: a pasted screenshot is attached; pasted text stays text", async () => {
    mockFetch([]);
    render(<App />);
    const clipboard = (files: File[], text = "") => ({
      clipboardData: { files, getData: (type: string) => (type === "text/plain" ? text : "") },
    });

    fireEvent.paste(box(), clipboard([png("Screenshot.png")]));
    expect(await screen.findByText("Screenshot.png")).toBeInTheDocument();

    fireEvent.paste(box(), clipboard([png("cells.png")], "3.5\t95"));
    await waitFor(() => expect(composerFiles()).toHaveAccessibleName("Attached files (1 of 5)"));
    expect(screen.queryByText("cells.png")).toBeNull();
  });

  it("shows the drop zone while files are held over the chat", async () => {
    mockFetch([]);
    render(<App />);
    const dataTransfer = { files: [], types: ["Files"] };
    fireEvent.dragEnter(chat(), { dataTransfer });
    expect(screen.getByText("Drop the files to attach them to your message")).toBeInTheDocument();
    expect(chat()).toHaveClass("is-dragging");
    fireEvent.dragLeave(chat(), { dataTransfer });
    expect(chat()).not.toHaveClass("is-dragging");
    // Files dropped beside the chat are not opened by the browser in place of the app, nor attached.
    const preview = screen.getByRole("article", { name: "Invoice preview" });
    expect(fireEvent.dragOver(preview, { dataTransfer })).toBe(false); // default prevented
    expect(fireEvent.drop(preview, { dataTransfer: { files: [csv()], types: ["Files"] } })).toBe(false);
    expect(composerFiles()).toBeNull();
    // Dragging text (not files) is left alone.
    fireEvent.dragEnter(chat(), { dataTransfer: { files: [], types: ["text/plain"] } });
    expect(chat()).not.toHaveClass("is-dragging");
  });

  it("once the invoice is issued, the files waiting go and a drop attaches nothing", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    const draft = acmeInvoice({ number: null, status: "draft", seller: { name: "Northwind Studio" } });
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session({ invoice: draft })) },
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) },
      { method: "POST", path: /\/issue$/, respond: () => json(201, issued({ number: "2026-0001" })) },
      { method: "GET", path: /\/api\/invoices\/2026-0001$/, respond: () => json(200, issued({ number: "2026-0001" })) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    expect(await screen.findByTestId("invoice-number")).toHaveTextContent("Draft");
    await user.upload(screen.getByTestId("attach-input"), png());
    expect(await screen.findByRole("list", { name: "Attached files (1 of 5)" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Issue invoice" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Issue invoice" }));
    expect(await screen.findByRole("region", { name: "Issued invoice" })).toBeInTheDocument();
    expect(composerFiles()).toBeNull();
    expect(screen.queryByTestId("attach-input")).toBeNull();

    const dataTransfer = { files: [csv()], types: ["Files"], dropEffect: "none" };
    fireEvent.dragEnter(chat(), { dataTransfer });
    expect(screen.queryByText("Drop the files to attach them to your message")).toBeNull();
    expect(chat()).not.toHaveClass("is-dragging");
    fireEvent.dragOver(chat(), { dataTransfer });
    expect(dataTransfer.dropEffect).toBe("none");
    expect(fireEvent.drop(chat(), { dataTransfer })).toBe(false); // not opened by the browser either
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50)); // a check of the file would have ended
    });
    expect(composerFiles()).toBeNull();
    expect(screen.queryByText("timesheet.csv")).toBeNull();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.url)).toEqual([`/api/session/${SESSION}/issue`]);
  });

  it("is usable by keyboard: Tab to the clip, and a chip's remove button gives the focus back to the box", async () => {
    mockFetch([]);
    const user = userEvent.setup();
    render(<App />);
    await act(async () => dropFiles([csv(), png()]));
    await screen.findByText("receipt.png");

    const remove = screen.getByRole("button", { name: "Remove timesheet.csv" });
    remove.focus();
    await user.keyboard("{Enter}");
    expect(screen.queryByText("timesheet.csv")).toBeNull();
    expect(box()).toHaveFocus();

    await user.tab({ shift: true });
    expect(screen.getByRole("button", { name: "Attach files" })).toHaveFocus();
    const removePng = screen.getByRole("button", { name: "Remove receipt.png" });
    const thumb = await waitFor(() => {
      const src = screen.getByRole("list", { name: /Attached files/ }).querySelector("img")?.getAttribute("src");
      expect(src).toMatch(/^blob:test\//);
      return src!;
    });
    removePng.focus();
    await user.keyboard(" ");
    expect(composerFiles()).toBeNull();
    expect(revoked).toContain(thumb);
  });

  it("keeps the message and the files in the composer when the server refuses a file", async () => {
    const { calls } = mockFetch([
      {
        method: "POST",
        path: /\/api\/generate-invoice$/,
        respond: () =>
          apiError(415, "unsupported_attachment", "Attachment 1: this is a Word document; save it as PDF and attach it again.", {
            attachment: 1,
            reason: "other_format",
          }),
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await act(async () => dropFiles([csv()]));
    await screen.findByText("timesheet.csv");
    await user.type(box(), "bill everything at $95/h{Enter}");

    expect(await screen.findByText("That kind of file cannot be read")).toBeInTheDocument();
    expect(screen.getByText(/Attachment 1: this is a Word document/)).toBeInTheDocument();
    expect(screen.getByText("Attachment 1 is timesheet.csv.")).toBeInTheDocument(); // the server never names it
    expect(box()).toHaveValue("bill everything at $95/h");
    expect(screen.getByText("timesheet.csv")).toBeInTheDocument();
    expect(composerFiles()).toHaveAccessibleName("Attached files (1 of 5)");
    expect(calls).toHaveLength(1);
  });

  it("a reloaded conversation shows its files from the server, fetched with the API key, revoked on unmount", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    setApiKey("secret-key");
    const photo = meta("b".repeat(32), "receipt.png", "png", "image/png", 48213);
    const sheet = meta("c".repeat(32), "timesheet-nov.csv", "csv", "text/csv", 2100);
    const { calls } = mockFetch([
      {
        method: "GET",
        path: /\/api\/session\/a+$/,
        respond: () =>
          json(
            200,
            session({
              messages: [
                { role: "user", content: "bill these", created_at: "", tokens: 20, attachments: [photo, sheet] },
                { role: "assistant", content: "Done.", created_at: "", tokens: 30, attachments: [] },
              ],
            }),
          ),
      },
      {
        method: "GET",
        path: /\/attachments\/b+$/,
        respond: () => new Response(PNG_BYTES, { status: 200, headers: { "Content-Type": "image/png" } }),
      },
      {
        method: "GET",
        path: /\/attachments\/c+$/,
        respond: () => new Response(CSV_TEXT, { status: 200, headers: { "Content-Type": "text/csv" } }),
      },
    ]);
    const user = userEvent.setup();
    const { unmount } = render(<App />);

    const list = await screen.findByRole("list", { name: "Attached files" });
    await waitFor(() => expect(list.querySelector("img")?.getAttribute("src")).toMatch(/^blob:test\//));
    const thumb = list.querySelector("img")!.getAttribute("src")!;
    const fetched = calls.find((c) => c.url.endsWith("b".repeat(32)))!;
    expect(fetched.url).toBe(`/api/session/${SESSION}/attachments/${"b".repeat(32)}`);
    expect(fetched.headers["X-API-Key"]).toBe("secret-key");
    // Not an image: a chip, fetched only when opened.
    expect(calls.some((c) => c.url.endsWith("c".repeat(32)))).toBe(false);
    const chip = within(list).getByRole("button", { name: "Download timesheet-nov.csv (CSV table, 2.1 KB)" });
    expect(within(chip).getByText("CSV")).toBeInTheDocument();

    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    await user.click(chip);
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(calls.find((c) => c.url.endsWith("c".repeat(32)))?.headers["X-API-Key"]).toBe("secret-key");
    click.mockRestore();

    unmount();
    expect(revoked).toContain(thumb);
  });

  it("a failed turn's files come back to the composer with Edit and resend", async () => {
    mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => json(202, { ...accepted("j3"), attachments: [] }) },
      {
        method: "GET",
        path: /\/api\/jobs\/j3/,
        respond: () =>
          json(
            200,
            job("j3", "failed", {
              error: { code: "attachment_unreadable", message: "Attachment 1: no header row found.", details: { attachment: 1, reason: "no_header" } },
            }),
          ),
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await act(async () => dropFiles([csv()]));
    await screen.findByText("timesheet.csv");
    await user.type(box(), "bill it{Enter}");

    expect(await screen.findByText(/A file could not be read\. Attachment 1: no header row found\. Your invoice is unchanged\./)).toBeInTheDocument();
    expect(screen.getByText("Attachment 1 is timesheet.csv.")).toBeInTheDocument();
    expect(composerFiles()).toBeNull();
    await user.click(screen.getByRole("button", { name: "Edit and resend" }));
    await waitFor(() => expect(composerFiles()).toHaveAccessibleName("Attached files (1 of 5)"));
    expect(box()).toHaveValue("bill it");
  });

  it("a turn with files still in flight after a reload shows its files, and they are remembered until it ends", async () => {
    const sheet = meta("d".repeat(32), "timesheet.csv", "csv", "text/csv", 90);
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => json(202, { ...accepted("j4"), attachments: [sheet] }) },
      { method: "GET", path: /\/api\/jobs\/j4/, respond: () => json(200, job("j4", "running")) },
    ]);
    const user = userEvent.setup();
    const first = render(<App />);
    await act(async () => dropFiles([csv()]));
    await screen.findByText("timesheet.csv");
    await user.type(box(), "bill it{Enter}");
    await waitFor(() => expect(calls.length).toBeGreaterThan(1));
    expect(JSON.parse(localStorage.getItem(PENDING_KEY)!)).toEqual({ jobId: "j4", message: "bill it", attachments: [sheet] });
    first.unmount();

    mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session({ pending_job_id: "j4" })) },
      { method: "GET", path: /\/api\/jobs\/j4/, respond: () => json(200, succeeded("j4", acmeInvoice(), "Billed 3 lines.", 90)) },
    ]);
    render(<App />);
    expect(await screen.findByText("Billed 3 lines.")).toBeInTheDocument();
    const list = screen.getByRole("list", { name: "Attached files" });
    expect(within(list).getByRole("button", { name: "Download timesheet.csv (CSV table, 90 B)" })).toBeEnabled();
    expect(localStorage.getItem(PENDING_KEY)).toBeNull();
  });
});
