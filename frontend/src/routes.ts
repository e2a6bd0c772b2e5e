// The UI's pages, by path (the API serves index.html for any path outside /api/).

export type Route = "chat" | "batch" | "invoices" | "clients" | "settings";

export const NAV: { route: Route; path: string; label: string; title: string }[] = [
  { route: "chat", path: "/", label: "Chat", title: "Invoice Agent" },
  { route: "batch", path: "/batch", label: "Batch", title: "Batch invoices · Invoice Agent" },
  { route: "invoices", path: "/invoices", label: "Invoices", title: "Invoices · Invoice Agent" },
  { route: "clients", path: "/clients", label: "Clients", title: "Clients · Invoice Agent" },
  { route: "settings", path: "/settings", label: "Settings", title: "Settings · Invoice Agent" },
];

/** "/invoices/2026-0001" -> "invoices"; anything unknown is the chat. */
export function routeOf(pathname: string): Route {
  const first = pathname.replace(/\/+$/, "").split("/")[1] ?? "";
  const found = NAV.find((n) => n.path === `/${first}`);
  return found && first ? found.route : "chat";
}

/** The invoice number in "/invoices/{number}", or null. */
export function invoiceNumberOf(pathname: string): string | null {
  const match = /^\/invoices\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

export function invoicePath(number: string): string {
  return `/invoices/${encodeURIComponent(number)}`;
}
