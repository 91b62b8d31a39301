import { useAuth } from "../auth/auth-provider";
import { describeTokenSending } from "../auth/dpop";
import { ENDPOINTS, useApiCalls } from "../calls/use-api-calls";
import { useConfig } from "../config";
import { CallCard } from "./call-card";

/** The six calls, one row per endpoint: tRPC on the left, its REST mirror on the right. */
export function CallsPanel() {
  const calls = useApiCalls();
  const config = useConfig();
  const { tokenBinding } = useAuth();
  const anyRunning = calls.some((call) => call.running);

  return (
    <section className="panel calls" aria-labelledby="calls-title">
      <header className="panel__header">
        <div>
          <h2 id="calls-title">API calls</h2>
          <p className="muted">
            Each endpoint over tRPC and REST at <code>{config.apiUrl}</code>,{" "}
            {describeTokenSending(tokenBinding)}.
          </p>
        </div>
        <button
          type="button"
          className="button"
          disabled={anyRunning}
          onClick={() => void Promise.all(calls.map((call) => call.run()))}
        >
          Run all
        </button>
      </header>
      {ENDPOINTS.map((endpoint) => (
        <section key={endpoint.name} className="endpoint" aria-labelledby={`endpoint-${endpoint.name}`}>
          <h3 id={`endpoint-${endpoint.name}`} className="endpoint__title">
            {endpoint.name}
            <span className="endpoint__requires">Requires: {endpoint.requires}</span>
          </h3>
          <div className="endpoint__calls">
            {calls
              .filter((call) => call.endpoint === endpoint)
              .map((call) => (
                <CallCard key={call.id} call={call} />
              ))}
          </div>
        </section>
      ))}
    </section>
  );
}
