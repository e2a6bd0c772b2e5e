// A fetch double for component tests: routes answer by method and path, and every call is kept.
import { vi } from "vitest";

export type Responder = (request: { url: string; init: RequestInit; body: unknown }) => Response | Promise<Response>;

export interface Route {
  method: string;
  path: RegExp;
  respond: Responder;
  /** Answer only this many times (then the next matching route answers). */
  times?: number;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function apiError(status: number, code: string, message = "", details?: Record<string, unknown>, headers = {}) {
  return json(status, { error: { code, message, ...(details ? { details } : {}) } }, headers);
}

export function mockFetch(routes: Route[]) {
  const calls: { method: string; url: string; body: unknown; headers: Record<string, string> }[] = [];
  const used = new Map<Route, number>();
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === "string" ? input : input.toString();
    const method = (init.method ?? "GET").toUpperCase();
    let body: unknown = init.body;
    if (typeof init.body === "string") {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    calls.push({ method, url, body, headers: (init.headers ?? {}) as Record<string, string> });
    const route = routes.find(
      (r) => r.method === method && r.path.test(url) && (r.times === undefined || (used.get(r) ?? 0) < r.times),
    );
    if (!route) throw new TypeError(`no route for ${method} ${url}`);
    used.set(route, (used.get(route) ?? 0) + 1);
    return route.respond({ url, init, body });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { fetchMock, calls };
}
