import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { apiError, mockFetch } from "../test/fetch";
import { IssuedDownloads } from "./IssuedDownloads";

let clicked: { download: string }[];

beforeEach(() => {
  clicked = [];
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ download: this.download });
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("IssuedDownloads", () => {
  it("downloads every format of the issued invoice from /api/invoices/{number}", async () => {
    const { calls } = mockFetch([{ method: "GET", path: /\/api\/invoices\//, respond: () => new Response("x", { status: 200 }) }]);
    const user = userEvent.setup();
    render(<IssuedDownloads number="2026-0007" />);
    for (const name of ["PDF", "HTML", "UBL 2.1 XML", "CII XML", "Factur-X PDF"]) {
      await user.click(screen.getByRole("button", { name }));
    }
    expect(calls.map((c) => c.url)).toEqual([
      "/api/invoices/2026-0007.pdf",
      "/api/invoices/2026-0007.html",
      "/api/invoices/2026-0007.ubl.xml",
      "/api/invoices/2026-0007.cii.xml",
      "/api/invoices/2026-0007.facturx.pdf",
    ]);
    expect(clicked.map((c) => c.download)).toEqual([
      "2026-0007.pdf",
      "2026-0007.html",
      "2026-0007.ubl.xml",
      "2026-0007.cii.xml",
      "2026-0007.facturx.pdf",
    ]);
    expect(screen.getByText("Downloaded 2026-0007.facturx.pdf")).toBeInTheDocument();
  });

  it("an incomplete e-invoice lists what is missing, with the rule terms", async () => {
    mockFetch([
      {
        method: "GET",
        path: /ubl\.xml$/,
        respond: () =>
          apiError(422, "einvoice_incomplete", "The e-invoice needs more details.", {
            profile: "xrechnung",
            missing: [{ field: "buyer_reference", term: "BT-10", message: "the buyer reference (Leitweg-ID)", rule: "BR-DE-15" }],
          }),
      },
    ]);
    const user = userEvent.setup();
    render(<IssuedDownloads number="2026-0007" />);
    await user.click(screen.getByRole("button", { name: "UBL 2.1 XML" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The UBL 2.1 XML cannot be made yet");
    expect(alert).toHaveTextContent("The buyer reference (Leitweg-ID) (BT-10)");
    expect(clicked).toHaveLength(0);
  });
});
