import { explainOutcome, formatStatus } from "../calls/call-outcome";
import type { ApiCall } from "../calls/use-api-calls";

/** One call: its button and, in a live region, its HTTP status, message or error code, and why. */
export function CallCard({ call }: { call: ApiCall }) {
  const { outcome, running } = call;
  const state = running ? "loading" : (outcome?.kind ?? "idle");
  const title = `${call.transport === "trpc" ? "tRPC" : "REST"} ${call.endpoint.name}`;

  return (
    <article className="call-card" aria-labelledby={`${call.id}-title`}>
      <header className="call-card__header">
        <h4 id={`${call.id}-title`}>
          <code>{call.target}</code>
        </h4>
        <button
          type="button"
          className="button button--small"
          onClick={() => void call.run()}
          disabled={running}
        >
          {running ? "Calling…" : "Call"}
          <span className="visually-hidden"> {title}</span>
        </button>
      </header>
      <div
        className={`result result--${state}`}
        data-testid={`result-${call.id}`}
        data-state={state}
        aria-live="polite"
        aria-busy={running}
      >
        {outcome === undefined ? (
          <p className="result__idle">{running ? "Calling…" : "Not called yet."}</p>
        ) : outcome.kind === "unreachable" ? (
          <>
            <p className="result__status">
              <span className="badge badge--error">No response</span>
            </p>
            <p className="result__detail">{outcome.description}</p>
          </>
        ) : (
          <>
            <p className="result__status">
              <span className={`badge badge--${outcome.kind === "success" ? "success" : "error"}`}>
                {formatStatus(outcome.status)}
              </span>
              {outcome.kind === "refused" && <code className="result__code">{outcome.code}</code>}
            </p>
            <p className="result__detail">
              {outcome.kind === "success" ? outcome.message : outcome.description}
            </p>
            <p className="result__why">{explainOutcome(outcome)}</p>
          </>
        )}
      </div>
    </article>
  );
}
