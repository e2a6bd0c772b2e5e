import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { BatchPage } from "./components/BatchPage";
import { ChatPanel } from "./components/ChatPanel";
import { ExportBar, ExportNotice, useExports } from "./components/ExportBar";
import { InvoicePreview } from "./components/InvoicePreview";
import { userLocale } from "./format";
import { SESSION_KEY, useConversation } from "./useConversation";

type Route = "chat" | "batch";

function routeOf(pathname: string): Route {
  return pathname.replace(/\/+$/, "") === "/batch" ? "batch" : "chat";
}

/** A tiny client-side router: "/" is the chat, "/batch" the batch page (the API serves index.html for both). */
function useRoute(): [Route, (to: string) => void] {
  const [route, setRoute] = useState<Route>(() => routeOf(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((to: string) => {
    window.history.pushState(null, "", to);
    setRoute(routeOf(new URL(to, window.location.href).pathname));
  }, []);
  return [route, navigate];
}

function ChatPage({ locale, newSessionRef }: { locale: string; newSessionRef: React.MutableRefObject<() => void> }) {
  const conversation = useConversation();
  const composerRef = useRef<HTMLTextAreaElement | null>(null);
  newSessionRef.current = () => {
    conversation.newSession();
    conversation.setDraft("");
    composerRef.current?.focus();
  };
  const busy = conversation.phase !== "idle";
  const exports = useExports(conversation.invoice ? conversation.sessionId : null, conversation.invoice?.number);
  return (
    <div className="workspace">
      <ChatPanel conversation={conversation} locale={locale} composerRef={composerRef} />
      <section className="preview" aria-labelledby="preview-title">
        <div className="panel-head preview-head">
          <h2 id="preview-title">Preview</h2>
          <ExportBar
            exports={exports}
            canExport={!!conversation.invoice && !!conversation.sessionId && !busy}
            canPrint={!!conversation.invoice}
          />
        </div>
        <div className="canvas">
          <ExportNotice
            exports={exports}
            onSuggest={(text) => {
              conversation.setDraft(text);
              const box = composerRef.current;
              box?.focus();
              // the caret after the suggestion, where the value goes
              requestAnimationFrame(() => box?.setSelectionRange(text.length, text.length));
            }}
          />
          <InvoicePreview invoice={conversation.invoice} locale={locale} busy={busy} />
        </div>
      </section>
    </div>
  );
}

export function App() {
  const [route, navigate] = useRoute();
  const locale = useMemo(userLocale, []);
  const newSession = useRef<() => void>(() => undefined);

  useEffect(() => {
    document.title = route === "batch" ? "Batch invoices · Invoice Agent" : "Invoice Agent";
  }, [route]);

  const link = (to: string) => (e: React.MouseEvent<HTMLAnchorElement>) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/" onClick={link("/")}>
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="#4338ca" />
            <path d="M10 7h9l5 5v13H10z" fill="#fff" />
            <path d="M19 7v5h5" fill="#c7d2fe" />
            <path d="M13 16h8M13 19.5h8M13 23h5" stroke="#4338ca" strokeWidth="1.6" strokeLinecap="round" />
          </svg>
          <span>Invoice Agent</span>
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={link("/")} aria-current={route === "chat" ? "page" : undefined}>
            Chat
          </a>
          <a href="/batch" onClick={link("/batch")} aria-current={route === "batch" ? "page" : undefined}>
            Batch
          </a>
        </nav>
        {route === "chat" && (
          <button type="button" className="btn btn-secondary new-invoice" onClick={() => newSession.current()}>
            <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
              <path d="M10 4v12M4 10h12" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
            New invoice
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {route === "chat" ? (
          <ChatPage locale={locale} newSessionRef={newSession} />
        ) : (
          <BatchPage
            locale={locale}
            onOpenSession={(sessionId) => {
              localStorage.setItem(SESSION_KEY, sessionId);
              navigate("/");
            }}
          />
        )}
      </main>
    </div>
  );
}
