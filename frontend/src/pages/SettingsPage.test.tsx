import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, json, mockFetch } from "../test/fetch";
import { profile } from "../test/records";
import { SettingsPage } from "./SettingsPage";

afterEach(() => vi.unstubAllGlobals());

describe("SettingsPage", () => {
  it("loads the profile and PATCHes only what changed (emptied fields are cleared)", async () => {
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) },
      { method: "PATCH", path: /\/api\/profile$/, respond: ({ body }) => json(200, { ...profile(), ...(body as object) }) },
    ]);
    const user = userEvent.setup();
    render(<SettingsPage year={2026} />);
    const seller = await screen.findByRole("group", { name: "Your business" });
    expect(within(seller).getByLabelText("Name")).toHaveValue("Northwind Studio");
    expect(within(seller).getByLabelText("Address")).toHaveValue("Hauptstrasse 1\n10115 Berlin");
    const save = screen.getByRole("button", { name: "Save profile" });
    expect(save).toBeDisabled();

    await user.clear(within(seller).getByLabelText("VAT ID"));
    const defaults = screen.getByRole("group", { name: "Defaults" });
    await user.clear(within(defaults).getByLabelText("Payment terms (days)"));
    await user.type(within(defaults).getByLabelText("Payment terms (days)"), "14");
    await user.clear(within(defaults).getByLabelText("Tax rate (%)"));
    await user.type(within(defaults).getByLabelText("Tax rate (%)"), "7.7");
    await user.click(save);
    expect(await screen.findByText("Saved. New invoices start with these details.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      seller: { tax_id: null },
      defaults: { payment_terms_days: 14, tax_rate: "7.7" },
    });
  });

  it("shows a 422's messages next to their fields, and saves nothing", async () => {
    mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) },
      {
        method: "PATCH",
        path: /\/api\/profile$/,
        respond: () =>
          apiError(422, "validation_error", "Some fields are not valid.", {
            payment: { iban: ["This is an IBAN with wrong check digits."] },
            numbering: { invoice_pattern: ["A pattern needs {seq} exactly once."] },
          }),
      },
    ]);
    const user = userEvent.setup();
    render(<SettingsPage year={2026} />);
    const payment = await screen.findByRole("group", { name: "Payment details" });
    const iban = within(payment).getByLabelText("IBAN");
    await user.clear(iban);
    await user.type(iban, "DE00 0000");
    const numbering = screen.getByRole("group", { name: "Number patterns" });
    const pattern = within(numbering).getByLabelText("Invoices");
    await user.clear(pattern);
    await user.type(pattern, "INV-{{year}");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    await waitFor(() => expect(iban).toHaveAttribute("aria-invalid", "true"));
    expect(iban).toHaveAccessibleDescription(/wrong check digits/);
    await waitFor(() => expect(iban).toHaveFocus());
    expect(pattern).toHaveAccessibleDescription(/exactly once/);
    expect(within(payment).getByLabelText("BIC")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByText("Not saved: please correct the fields marked below.")).toBeInTheDocument();
  });

  it("edits the seller contact and electronic address, each sent whole", async () => {
    const stored = profile({
      seller: {
        name: "Northwind Studio",
        contact: { name: "Anna Schmidt", phone: "+49 30 1234567" },
        electronic_address: { scheme: "9930", value: "DE811907980" },
      },
    });
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, stored) },
      { method: "PATCH", path: /\/api\/profile$/, respond: () => json(200, stored) },
    ]);
    const user = userEvent.setup();
    render(<SettingsPage year={2026} />);
    const einv = await screen.findByRole("group", { name: "E-invoicing" });
    expect(within(einv).getByLabelText("Contact name")).toHaveValue("Anna Schmidt");
    const scheme = within(einv).getByLabelText("Electronic address scheme");
    expect(scheme).toHaveValue("9930");
    expect(within(scheme).getByRole("option", { name: "0204 German Leitweg-ID" })).toBeInTheDocument();

    await user.type(within(einv).getByLabelText("Contact e-mail"), "anna@schmidt.example");
    await user.selectOptions(scheme, "0204");
    const value = within(einv).getByLabelText("Electronic address");
    await user.clear(value);
    await user.type(value, "991-33333TEST-33");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    await screen.findByText("Saved. New invoices start with these details.");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      seller: {
        contact: { name: "Anna Schmidt", phone: "+49 30 1234567", email: "anna@schmidt.example" },
        electronic_address: { scheme: "0204", value: "991-33333TEST-33" },
      },
    });
  });

  it("clears an electronic address emptied, and puts a 422 on the nested fields", async () => {
    const stored = profile({
      seller: { name: "Northwind Studio", electronic_address: { scheme: "0088", value: "4000001000005" } },
    });
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, stored) },
      {
        method: "PATCH",
        path: /\/api\/profile$/,
        times: 1,
        respond: () =>
          apiError(422, "validation_error", "Some fields are not valid.", {
            seller: {
              contact: { email: ["Not a valid email address."] },
              electronic_address: { value: ["'123' is not a valid GLN: a GLN has 13 digits."] },
            },
          }),
      },
      { method: "PATCH", path: /\/api\/profile$/, respond: () => json(200, profile({ seller: { name: "Northwind Studio" } })) },
    ]);
    const user = userEvent.setup();
    render(<SettingsPage year={2026} />);
    const einv = await screen.findByRole("group", { name: "E-invoicing" });
    const value = within(einv).getByLabelText("Electronic address");
    await user.clear(value);
    await user.type(value, "123");
    await user.type(within(einv).getByLabelText("Contact e-mail"), "nope");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    await waitFor(() => expect(value).toHaveAttribute("aria-invalid", "true"));
    expect(value).toHaveAccessibleDescription(/13 digits/);
    expect(within(einv).getByLabelText("Contact e-mail")).toHaveAccessibleDescription(/Not a valid email/);
    expect(within(einv).getByLabelText("Electronic address scheme")).not.toHaveAttribute("aria-invalid");

    await user.clear(value);
    await user.selectOptions(within(einv).getByLabelText("Electronic address scheme"), "");
    await user.clear(within(einv).getByLabelText("Contact e-mail"));
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    await screen.findByText("Saved. New invoices start with these details.");
    expect(calls.filter((c) => c.method === "PATCH")[1]?.body).toEqual({ seller: { electronic_address: null } });
  });

  it("shows what the next numbers look like as the pattern is typed", async () => {
    mockFetch([{ method: "GET", path: /\/api\/profile$/, respond: () => json(200, profile()) }]);
    const user = userEvent.setup();
    render(<SettingsPage year={2026} />);
    const examples = await screen.findByTestId("pattern-examples");
    expect(examples).toHaveTextContent("Next invoice looks like 2026-0001, a credit note like CN-2026-0001.");
    const pattern = screen.getByLabelText("Invoices");
    await user.clear(pattern);
    await user.type(pattern, "R{{seq:03}");
    expect(examples).toHaveTextContent("Next invoice looks like R001");
    await user.click(screen.getByRole("button", { name: "Discard changes" }));
    expect(pattern).toHaveValue("{year}-{seq:04}");
  });

  it("an unreachable profile offers a retry", async () => {
    mockFetch([
      { method: "GET", path: /\/api\/profile$/, times: 1, respond: () => apiError(503, "unavailable", "Down.") },
      { method: "GET", path: /\/api\/profile$/, respond: () => json(200, {}) },
    ]);
    const user = userEvent.setup();
    render(<SettingsPage />);
    await user.click(await screen.findByRole("button", { name: /try again|retry/i }));
    expect(await screen.findByRole("group", { name: "Your business" })).toBeInTheDocument();
  });
});
