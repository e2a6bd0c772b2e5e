import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { BatchPage } from "./components/BatchPage";
import { ChatPanel } from "./components/ChatPanel";
import { ExportBar, ExportNotice, useExports } from "./components/ExportBar";
import { InvoicePreview } from "./components/InvoicePreview";
import { IssueAction } from "./components/IssueAction";
import { IssuedDownloads } from "./components/IssuedDownloads";
import { IssuedNotice } from "./components/IssuedNotice";
import { SaveSellerOffer } from "./components/SaveSellerOffer";
import { userLocale } from "./format";
import { ClientsPage } from "./pages/ClientsPage";
import { InvoicesPage, lastListSearch } from "./pages/InvoicesPage";
import { SettingsPage } from "./pages/SettingsPage";
import { getProfile, type Profile } from "./records";
import { invoiceNumberOf, invoicePath, NAV, routeOf, type Route } from "./routes";
import { SESSION_KEY, useConversation } from "./useConversation";
import { useIssued } from "./useIssued";
import "./records.css";

/** A tiny client-side router by path (the API serves index.html for every page's path). */
function useRoute(): [Route, string, (to: string) => void, number] {
  const [pathname, setPathname] = useState(() => window.location.pathname);
  // counts navigations: following a link to the page already shown starts it afresh
  const [visit, setVisit] = useState(0);
  useEffect(() => {
    const onPop = () => {
      setPathname(window.location.pathname);
      setVisit((n) => n + 1);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((to: string) => {
    window.history.pushState(null, "", to);
    setPathname(new URL(to, window.location.href).pathname);
    setVisit((n) => n + 1);
  }, []);
  return [routeOf(pathname), pathname, navigate, visit];
}

interface ChatPageProps {
  locale: string;
  newSessionRef: React.MutableRefObject<() => void>;
  onOpenSession: (sessionId: string) => void;
  onOpenInvoice: (number: string) => void;
}

function ChatPage({ locale, newSessionRef, onOpenSession, onOpenInvoice }: ChatPageProps) {
  const conversation = useConversation();
  const { issued, setIssued } = useIssued(conversation.sessionId);
  // The profile's seller stands in (marked) while the draft names none: issuing fills it from
  // there; a seller told in the chat can be saved to it.
  const [profile, setProfile] = useState<Profile | null>(null);
  const needsProfile = !!conversation.invoice && !profile;
  useEffect(() => {
    if (needsProfile) getProfile().then(setProfile, () => undefined);
  }, [needsProfile]);
  const composerRef = useRef<HTMLTextAreaElement | null>(null);
  newSessionRef.current = () => {
    conversation.newSession();
    conversation.setDraft("");
    composerRef.current?.focus();
  };
  const busy = conversation.phase !== "idle";
  const shown = issued ?? conversation.invoice;
  const exports = useExports(conversation.invoice ? conversation.sessionId : null, conversation.invoice?.number);
  return (
    <div className="workspace">
      <ChatPanel
        conversation={conversation}
        locale={locale}
        composerRef={composerRef}
        composerNotice={
          issued ? (
            <IssuedNotice invoice={issued} onChanged={setIssued} onOpenSession={onOpenSession} onOpenInvoice={onOpenInvoice} />
          ) : undefined
        }
      />
      <section className="preview" aria-labelledby="preview-title">
        <div className="panel-head preview-head">
          <h2 id="preview-title">Preview</h2>
          {issued ? (
            <IssuedDownloads number={issued.number} compact />
          ) : (
            <>
              <IssueAction sessionId={conversation.sessionId} enabled={!!conversation.invoice && !busy} onIssued={setIssued} />
              <ExportBar
                exports={exports}
                canExport={!!conversation.invoice && !!conversation.sessionId && !busy}
                canPrint={!!conversation.invoice}
              />
            </>
          )}
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
          {!issued && profile && conversation.invoice?.seller && (
            <SaveSellerOffer seller={conversation.invoice.seller} profileSeller={profile.seller} onSaved={setProfile} />
          )}
          <InvoicePreview invoice={shown} locale={locale} busy={busy} profileSeller={profile?.seller} />
        </div>
      </section>
    </div>
  );
}

export function App() {
  const [route, pathname, navigate, visit] = useRoute();
  const locale = useMemo(userLocale, []);
  const newSession = useRef<() => void>(() => undefined);
  const [chatKey, setChatKey] = useState(0);

  useEffect(() => {
    document.title = NAV.find((n) => n.route === route)?.title ?? "Invoice Agent";
  }, [route]);

  /** Opens a session in the chat (a batch item, a copy of an invoice). */
  const openSession = useCallback(
    (sessionId: string) => {
      localStorage.setItem(SESSION_KEY, sessionId);
      setChatKey((k) => k + 1); // the chat loads the session again
      navigate("/");
    },
    [navigate],
  );
  const openInvoice = useCallback((number: string) => navigate(invoicePath(number)), [navigate]);

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
          {NAV.map((item) => (
            <a key={item.route} href={item.path} onClick={link(item.path)} aria-current={route === item.route ? "page" : undefined}>
              {item.label}
            </a>
          ))}
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
        {route === "chat" && (
          <ChatPage
            key={chatKey}
            locale={locale}
            newSessionRef={newSession}
            onOpenSession={openSession}
            onOpenInvoice={openInvoice}
          />
        )}
        {route === "batch" && <BatchPage locale={locale} onOpenSession={openSession} />}
        {route === "invoices" && (
          <InvoicesPage
            key={visit}
            locale={locale}
            number={invoiceNumberOf(pathname)}
            onOpenInvoice={openInvoice}
            onBack={() => navigate(`/invoices${lastListSearch()}`)}
            onOpenSession={openSession}
          />
        )}
        {route === "clients" && <ClientsPage locale={locale} onShowInvoices={(clientId) => navigate(`/invoices?client_id=${encodeURIComponent(clientId)}`)} />}
        {route === "settings" && <SettingsPage />}
      </main>
    </div>
  );
}
