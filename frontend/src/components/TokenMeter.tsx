import { formatTokens } from "../format";
import type { Tokens } from "../useConversation";

/** "1,234 / 200k" with a bar: green below the warning threshold, red from it; then the server's warning. */
export function TokenMeter({ tokens, locale }: { tokens: Tokens; locale: string }) {
  const { count, limit, warn, warning } = tokens;
  const zone = tokens.zone === "red" || count >= warn ? "red" : "green";
  // Token counts are integers; the bar's width is presentation, not money.
  const percent = limit > 0 ? Math.min(100, (count / limit) * 100) : 0;
  const warnAt = limit > 0 ? Math.min(100, (warn / limit) * 100) : 80;
  const label = `${formatTokens(count, locale)} / ${formatTokens(limit, locale, true)}`;
  return (
    <>
      <div className={`token-meter zone-${zone}`} data-zone={zone}>
        <div
          className="token-bar"
          role="meter"
          aria-label="Conversation tokens used"
          aria-valuemin={0}
          aria-valuemax={limit}
          aria-valuenow={count}
          aria-valuetext={`${label} tokens${zone === "red" ? ", near the limit" : ""}`}
          title={`Warning from ${formatTokens(warn, locale)} tokens; limit ${formatTokens(limit, locale)}`}
        >
          <span className="token-fill" style={{ width: `${percent}%` }} />
          <span className="token-warn-mark" style={{ left: `${warnAt}%` }} aria-hidden="true" />
        </div>
        <span className="token-text" data-testid="token-count">
          {label} <span className="token-unit">tokens</span>
        </span>
      </div>
      {warning && (
        <p className="token-warning" role="status">
          {warning}
        </p>
      )}
    </>
  );
}
