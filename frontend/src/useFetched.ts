import { useEffect, useState, type DependencyList } from "react";
import { humanize, type HumanError } from "./errors";

/**
 * What a page lists, fetched again whenever `deps` change: the previous request is aborted,
 * so a slow answer never overwrites a newer one. The setters stay available for local changes
 * (an edited row) and for errors of other actions on the page.
 */
export function useFetched<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList) {
  const [result, setResult] = useState<T | null>(null);
  const [error, setError] = useState<HumanError | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (found) => {
        setResult(found);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (e instanceof DOMException && e.name === "AbortError") return;
        setError(humanize(e));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // the caller names what `load` reads in `deps`, as for useEffect
  }, deps);

  return { result, setResult, error, setError, loading };
}
