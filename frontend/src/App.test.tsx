import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { apiError, json, mockFetch } from "./test/fetch";
import { SESSION, accepted, acmeInvoice, job, session, succeeded, withTravel } from "./test/fixtures";
import { PENDING_KEY, SESSION_KEY } from "./useConversation";

const REQUEST = "Invoice Acme Corp for 40 hours of consulting at $150/h, 8% tax, due in 30 days";

function box() {
  return screen.getByLabelText("Message to the invoice assistant");
}

async function say(user: ReturnType<typeof userEvent.setup>, text: string) {
  await user.click(box());
  await user.type(box(), text.replace(/[{[]/g, "$&$&"));
  await user.keyboard("{Enter}");
}

beforeEach(() => {
  window.history.replaceState(null, "", "/");
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the chat", () => {
  it("sends a request with Enter, long-polls the job and shows the invoice and its total", async () => {
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => json(202, accepted("j1", 25)) },
      { method: "GET", path: /\/api\/jobs\/j1\?wait=1$/, respond: () => json(200, job("j1", "running")) },
      {
        method: "GET",
        path: /\/api\/jobs\/j1\?wait=25$/,
        respond: () => json(200, succeeded("j1", acmeInvoice(), "Created an invoice for Acme Corp. Total: $6,480.00.", 81)),
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    expect(screen.getByTestId("token-count")).toHaveTextContent("0 / 200k tokens");

    await say(user, REQUEST);
    expect(box()).toBeDisabled();
    await screen.findByText(/Working on your invoice/);
    expect(await screen.findByTestId("invoice-total", {}, { timeout: 3000 })).toHaveTextContent("$6,480.00");
    expect(screen.getByText("Created an invoice for Acme Corp. Total: $6,480.00.")).toBeInTheDocument();
    expect(screen.getByTestId("turn-status")).toHaveTextContent("Done — invoice updated.");
    expect(screen.getByTestId("token-count")).toHaveTextContent("81 / 200k tokens");
    expect(box()).toBeEnabled();
    expect(box()).toHaveValue("");
    await waitFor(() => expect(box()).toHaveFocus());
    expect(localStorage.getItem(SESSION_KEY)).toBe(SESSION);
    expect(localStorage.getItem(PENDING_KEY)).toBeNull();

    // (the profile is asked for once the draft has no seller: it stands in for one)
    expect(calls.filter((c) => c.url !== "/api/profile").map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/generate-invoice",
      "GET /api/jobs/j1?wait=1",
      "GET /api/jobs/j1?wait=25",
    ]);
    expect(calls[0].body).toEqual({ message: REQUEST });
  });

  it("edits by chat with the session id, and highlights what changed", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    const { calls } = mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session()) },
      { method: "POST", path: /\/api\/chat$/, respond: () => json(202, accepted("j2", 70)) },
      { method: "GET", path: /\/api\/jobs\/j2/, respond: () => json(200, succeeded("j2", withTravel(), "Added Travel.", 112)) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    expect(await screen.findByTestId("invoice-total")).toHaveTextContent("$6,480.00");

    await say(user, "add a $200 travel line");
    await waitFor(() => expect(screen.getByTestId("invoice-total")).toHaveTextContent("$6,696.00"));
    expect(calls.find((c) => c.url === "/api/chat")?.body).toEqual({ message: "add a $200 travel line", session_id: SESSION });
    const travel = screen.getAllByTestId("line-item")[1];
    expect(travel).toHaveTextContent("Travel");
    await waitFor(() => expect(travel).toHaveClass("changed")); // set by an effect after the render
    expect(screen.getAllByTestId("line-item")[0]).not.toHaveClass("changed");
    expect(screen.getByTestId("token-count")).toHaveTextContent("112 / 200k tokens");
  });

  it("Shift+Enter makes a new line and does not send", async () => {
    const { calls } = mockFetch([]);
    const user = userEvent.setup();
    render(<App />);
    await user.click(box());
    await user.type(box(), "first line");
    await user.keyboard("{Shift>}{Enter}{/Shift}");
    await user.type(box(), "second line");
    expect(box()).toHaveValue("first line\nsecond line");
    expect(calls).toHaveLength(0);
  });

  it("resumes the stored conversation after a reload, and a turn still in flight", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    localStorage.setItem(PENDING_KEY, JSON.stringify({ jobId: "j3", message: "client email is ap@acme.com" }));
    mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session({ pending_job_id: "j3" })) },
      {
        method: "GET",
        path: /\/api\/jobs\/j3/,
        respond: () => json(200, succeeded("j3", acmeInvoice({ buyer: { name: "Acme Corp", email: "ap@acme.com" } }), "Client email set.", 90)),
      },
    ]);
    render(<App />);
    expect(await screen.findByText("Created an invoice for Acme Corp.")).toBeInTheDocument();
    expect(screen.getByText("client email is ap@acme.com")).toBeInTheDocument();
    expect(await screen.findByText("Client email set.")).toBeInTheDocument();
    expect(screen.getByTestId("invoice")).toHaveTextContent("ap@acme.com");
  });

  it("offers a new session when the stored one has expired", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    mockFetch([{ method: "GET", path: /\/api\/session\//, respond: () => apiError(404, "session_not_found", "gone") }]);
    const user = userEvent.setup();
    render(<App />);
    expect(await screen.findByText("Your previous session has expired")).toBeInTheDocument();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    await user.click(screen.getByRole("button", { name: "Start a new session" }));
    expect(screen.queryByText("Your previous session has expired")).not.toBeInTheDocument();
    expect(box()).toHaveFocus();
  });

  it("413: explains the token limit, offers a new session and keeps the message", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session({ token_count: 199990 })) },
      {
        method: "POST",
        path: /\/api\/chat$/,
        respond: () => apiError(413, "token_limit_exceeded", "too long", { token_count: 199990, token_limit: 200000, message_tokens: 20 }),
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("invoice-total");
    await say(user, "add a $200 travel line");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This conversation is full");
    expect(alert).toHaveTextContent("199,990 of its 200,000 tokens");
    expect(box()).toHaveValue("add a $200 travel line");
    expect(screen.queryByText("add a $200 travel line", { selector: ".bubble" })).not.toBeInTheDocument();

    await user.click(within(alert).getByRole("button", { name: "Start a new session" }));
    expect(screen.queryByTestId("invoice-total")).not.toBeInTheDocument();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    expect(box()).toHaveValue("add a $200 travel line");
    expect(screen.getByTestId("token-count")).toHaveTextContent("0 / 200k tokens");
  });

  it("404 on send: the session expired meanwhile; a new one is offered", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session()) },
      { method: "POST", path: /\/api\/chat$/, respond: () => apiError(404, "session_not_found", "gone") },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("invoice-total");
    await say(user, "10% discount");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This session has expired");
    expect(within(alert).getByRole("button", { name: "Start a new session" })).toBeInTheDocument();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
  });

  it("409: waits for the running turn, then shows where the conversation stands", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    let sessionReads = 0;
    mockFetch([
      {
        method: "GET",
        path: /\/api\/session\//,
        respond: () => json(200, ++sessionReads === 1 ? session() : session({ invoice: withTravel() })),
      },
      { method: "POST", path: /\/api\/chat$/, respond: () => apiError(409, "turn_in_progress", "busy", { job_id: "other" }) },
      { method: "GET", path: /\/api\/jobs\/other/, respond: () => json(200, succeeded("other", withTravel(), "Added Travel.", 112)) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("invoice-total");
    await say(user, "10% discount");
    await waitFor(() => expect(screen.getByTestId("invoice-total")).toHaveTextContent("$6,696.00"));
    expect(box()).toHaveValue("10% discount"); // still to be sent, by the person
    expect(box()).toBeEnabled();
  });

  it("a failed job shows its message and leaves the last good invoice in view", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    mockFetch([
      { method: "GET", path: /\/api\/session\//, respond: () => json(200, session()) },
      { method: "POST", path: /\/api\/chat$/, respond: () => json(202, accepted("j4")) },
      {
        method: "GET",
        path: /\/api\/jobs\/j4/,
        respond: () => json(200, job("j4", "failed", { error: { code: "invalid_invoice", message: "A discount cannot exceed the subtotal." } })),
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("invoice-total");
    await say(user, "$9000 off");
    expect(await screen.findByText(/A discount cannot exceed the subtotal\./)).toBeInTheDocument();
    expect(screen.getByText("Not applied.")).toBeInTheDocument();
    expect(screen.getByTestId("invoice-total")).toHaveTextContent("$6,480.00");
    expect(screen.getByTestId("turn-status")).toHaveTextContent("could not be applied");
    await user.click(screen.getByRole("button", { name: "Edit and resend" }));
    expect(box()).toHaveValue("$9000 off");
  });

  it("422: shows what was wrong", async () => {
    mockFetch([
      {
        method: "POST",
        path: /\/api\/generate-invoice$/,
        respond: () => apiError(422, "validation_error", "bad", { message: ["The message is longer than 8000 characters."] }),
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await say(user, "x");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Message: The message is longer than 8000 characters.");
  });

  it("503: a retry button sends the message again", async () => {
    const { calls } = mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, times: 1, respond: () => apiError(503, "unavailable", "down") },
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => json(202, accepted("j5")) },
      { method: "GET", path: /\/api\/jobs\/j5/, respond: () => json(200, succeeded("j5", acmeInvoice(), "Created.", 60)) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await say(user, REQUEST);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("briefly unavailable");
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("invoice-total")).toHaveTextContent("$6,480.00");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(2);
  });

  it("a lost connection while polling offers a retry that resumes the same job", async () => {
    let polls = 0;
    mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => json(202, accepted("j6")) },
      {
        method: "GET",
        path: /\/api\/jobs\/j6/,
        respond: () => {
          if (++polls === 1) throw new TypeError("Failed to fetch");
          return json(200, succeeded("j6", acmeInvoice(), "Created.", 60));
        },
      },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await say(user, REQUEST);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Can't reach Invoice Agent");
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("invoice-total")).toHaveTextContent("$6,480.00");
  });

  it("429: says when to send again and counts down", async () => {
    mockFetch([
      { method: "POST", path: /\/api\/generate-invoice$/, respond: () => apiError(429, "rate_limited", "slow down", undefined, { "Retry-After": "2" }) },
    ]);
    const user = userEvent.setup();
    render(<App />);
    await say(user, REQUEST);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("You can send again in 2 s");
    expect(screen.getByRole("button", { name: "Send message" })).toBeDisabled();
    await waitFor(() => expect(alert).toHaveTextContent("You can send again now."), { timeout: 3500 });
    expect(screen.getByRole("button", { name: "Send message" })).toBeEnabled();
  });

  it("New invoice starts a new session", async () => {
    localStorage.setItem(SESSION_KEY, SESSION);
    mockFetch([{ method: "GET", path: /\/api\/session\//, respond: () => json(200, session()) }]);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("invoice-total");
    await user.click(screen.getByRole("button", { name: "New invoice" }));
    expect(screen.queryByTestId("invoice-total")).not.toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Your invoice will appear here" })).toBeInTheDocument();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    expect(box()).toHaveFocus();
  });

  it("the example requests fill the box", async () => {
    mockFetch([]);
    const user = userEvent.setup();
    render(<App />);
    await user.click(screen.getByRole("button", { name: /Invoice Acme Corp for 40 hours/ }));
    expect(box()).toHaveValue(REQUEST);
    expect(box()).toHaveFocus();
  });
});

describe("accessibility basics", () => {
  it("labels the box, the log and the meter; the page has one main landmark", () => {
    mockFetch([]);
    render(<App />);
    expect(screen.getByRole("main")).toBeInTheDocument();
    expect(screen.getByRole("log", { name: "Messages" })).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Message to the invoice assistant" })).toHaveAccessibleDescription(/Enter to send/);
    expect(screen.getByRole("meter", { name: "Conversation tokens used" })).toBeInTheDocument();
    expect(screen.getByRole("navigation", { name: "Main" })).toBeInTheDocument();
  });
});

// act() keeps React's warnings quiet for state set after the tests' last await.
afterEach(async () => {
  await act(async () => undefined);
});
