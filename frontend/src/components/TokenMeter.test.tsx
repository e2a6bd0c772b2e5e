import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Tokens } from "../useConversation";
import { TokenMeter } from "./TokenMeter";

const tokens = (count: number, extra: Partial<Tokens> = {}): Tokens => ({
  count,
  limit: 200000,
  warn: 160000,
  zone: count >= 160000 ? "red" : "green",
  warning: null,
  ...extra,
});

describe("TokenMeter", () => {
  it("shows 1,234 / 200k in the green zone", () => {
    const { container } = render(<TokenMeter tokens={tokens(1234)} locale="en-US" />);
    expect(screen.getByTestId("token-count")).toHaveTextContent("1,234 / 200k tokens");
    expect(container.firstChild).toHaveAttribute("data-zone", "green");
    const meter = screen.getByRole("meter", { name: "Conversation tokens used" });
    expect(meter).toHaveAttribute("aria-valuenow", "1234");
    expect(meter).toHaveAttribute("aria-valuemax", "200000");
  });

  it("stays green just below the warning threshold", () => {
    const { container } = render(<TokenMeter tokens={tokens(159999)} locale="en-US" />);
    expect(container.firstChild).toHaveAttribute("data-zone", "green");
  });

  it("turns red from 160k, with the server's warning", () => {
    const { container } = render(
      <TokenMeter tokens={tokens(160000, { warning: "This conversation is near its token limit." })} locale="en-US" />,
    );
    expect(container.firstChild).toHaveAttribute("data-zone", "red");
    expect(screen.getByTestId("token-count")).toHaveTextContent("160,000 / 200k tokens");
    expect(container.querySelector(".token-warning")).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("This conversation is near its token limit.");
    expect(screen.getByRole("meter")).toHaveAttribute("aria-valuetext", expect.stringContaining("near the limit"));
  });

  it("is red when the server says so, even with a different threshold", () => {
    const { container } = render(<TokenMeter tokens={tokens(10, { zone: "red" })} locale="en-US" />);
    expect(container.firstChild).toHaveAttribute("data-zone", "red");
  });

  it("formats for the locale", () => {
    render(<TokenMeter tokens={tokens(123456)} locale="de-DE" />);
    expect(screen.getByTestId("token-count")).toHaveTextContent("123.456 / 200k tokens");
  });
});
