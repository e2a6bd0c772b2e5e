import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, json, mockFetch } from "../test/fetch";
import { profile } from "../test/records";
import { SaveSellerOffer, sellerDiffers } from "./SaveSellerOffer";

afterEach(() => vi.unstubAllGlobals());

const told = { name: "Northwind Studio", address: "Hauptstrasse 1, Berlin", tax_id: "DE811907980" };

describe("SaveSellerOffer", () => {
  it("compares sellers ignoring case and spacing", () => {
    expect(sellerDiffers(told, { name: "northwind  studio", address: "Hauptstrasse 1,  Berlin", tax_id: "de811907980" })).toBe(false);
    expect(sellerDiffers(told, { ...told, tax_id: "DE000" })).toBe(true);
    expect(sellerDiffers(told, null)).toBe(true);
    expect(sellerDiffers({ name: "" }, null)).toBe(false);
  });

  it("saves the chat's seller as the profile's, clearing what it does not have", async () => {
    const { calls } = mockFetch([{ method: "PATCH", path: /\/api\/profile$/, respond: () => json(200, profile({ seller: told })) }]);
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(<SaveSellerOffer seller={told} profileSeller={{}} onSaved={onSaved} />);
    expect(screen.getByRole("region", { name: "Save seller to profile" })).toHaveTextContent("Save Northwind Studio as your business?");
    await user.click(screen.getByRole("button", { name: "Save to my profile" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0].body).toEqual({
      seller: { name: "Northwind Studio", company: null, email: null, phone: null, address: "Hauptstrasse 1, Berlin", tax_id: "DE811907980" },
    });
  });

  it("says when the profile has another business; a refusal shows; Not now hides it", async () => {
    mockFetch([{ method: "PATCH", path: /\/api\/profile$/, respond: () => apiError(422, "validation_error", "Bad.", { seller: { email: ["Not a valid email address."] } }) }]);
    const user = userEvent.setup();
    render(<SaveSellerOffer seller={{ ...told, email: "nope" }} profileSeller={{ name: "Other GmbH" }} onSaved={() => undefined} />);
    expect(screen.getByRole("region")).toHaveTextContent("is not the business in your profile (Other GmbH)");
    await user.click(screen.getByRole("button", { name: "Save to my profile" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not a valid email address.");
    await user.click(screen.getByRole("button", { name: "Not now" }));
    expect(screen.queryByRole("region")).not.toBeInTheDocument();
  });

  it("offers nothing when the profile has this seller", () => {
    const { container } = render(<SaveSellerOffer seller={told} profileSeller={told} onSaved={() => undefined} />);
    expect(container).toBeEmptyDOMElement();
  });
});
