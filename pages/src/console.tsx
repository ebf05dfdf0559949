import { Layout } from "./layout";
import { BarList, SeriesChart } from "./charts";
import { count, duration, utc } from "./format";
import type { ConsoleView } from "./view";
import type { SecurityEvent } from "../../src/session/metrics";

const WINDOW_NAMES = { "24h": "the last 24 hours", "7d": "the last 7 days" } as const;

const EVENT_NAMES: Record<string, string> = {
  signin_refused: "Sign-in refused",
  refresh_reuse: "Refresh secret reused",
  device_proof_refused: "Device-bound session: proof by another key",
  device_bound_refused: "Device-bound session: renewal by its refresh cookie",
  second_factor_locked: "Second factor locked",
  revoked: "Session ended by an admin",
  second_factor_reset: "Second factor reset by an admin",
};

/** `?window=…&user=…` of the console itself, for its links and redirects. */
const consoleURL = (basePath: string, query: Record<string, string | undefined>) => {
  const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
  return `${basePath}/admin${search ? `?${search}` : ""}`;
};

function Event({ event }: { event: SecurityEvent }) {
  return (
    <li>
      <strong>{EVENT_NAMES[event.event] ?? event.event}</strong> <time datetime={event.at}>{utc(event.at)}</time>
      <p class="muted">
        {[event.user, event.detail, event.by && `by ${event.by}`, event.ip && `from ${event.ip}`].filter(Boolean).join(" · ")}
      </p>
    </li>
  );
}

function UserSessions({ basePath, window, search }: Pick<ConsoleView, "basePath" | "window"> & { search: NonNullable<ConsoleView["search"]> }) {
  const { user, sessions, next } = search;
  if (!user || !sessions) return null;
  const action = `${basePath}/admin/sessions?user=${encodeURIComponent(user)}`;
  return (
    <section aria-labelledby="user-title">
      <h2 id="user-title">Sessions of {user}</h2>
      {sessions.length === 0 ? (
        <p>{user} has no live sessions.</p>
      ) : (
        <>
          <ul class="devices">
            {sessions.map((session) => (
              <li data-session={session.id}>
                <div>
                  <strong id={`d-${session.id}`}>{session.device}</strong>
                  <p class="muted">
                    {session.country ? `${session.country} · ` : ""}signed in {utc(session.createdAt)} · last used {utc(session.lastUsedAt)}
                  </p>
                  <p class="muted">On {session.origins.map((origin) => new URL(origin).host).join(", ")}</p>
                </div>
                <form method="post" action={action}>
                  <input type="hidden" name="_method" value="DELETE" />
                  <input type="hidden" name="session" value={session.id} />
                  <button type="submit" id={`e-${session.id}`} aria-labelledby={`e-${session.id} d-${session.id}`}>
                    End this session
                  </button>
                </form>
              </li>
            ))}
          </ul>
          {next && <p><a href={consoleURL(basePath, { window, user, after: next })}>More sessions</a></p>}
          <form method="post" action={action}>
            <input type="hidden" name="_method" value="DELETE" />
            <button type="submit">End all sessions of {user}</button>
          </form>
        </>
      )}
    </section>
  );
}

/**
 * The admin console: the window's session metrics as charts, the security
 * events that need a look, and a search by user with their sessions to end.
 * Server-rendered, no script; the forms post to the session worker's admin
 * routes, which check the origin and the admin again.
 */
export function ConsolePage({ basePath, admin, window, metrics, events, search, ended }: ConsoleView) {
  const hourly = window === "24h";
  const { active, signIns, failures, secondFactor } = metrics;
  const endings = Object.entries(metrics.ended).sort((a, b) => b[1] - a[1]);
  const adoption = secondFactor.adoption === null ? "no one signed in" : `${Math.round(secondFactor.adoption * 100)}% of those signed in`;
  return (
    <Layout title="Admin console" basePath={basePath} wide>
      <h1>Admin console</h1>
      <p class="muted">
        Signed in as {admin}. Times are UTC; data from {utc(metrics.window.from)} to {utc(metrics.window.to)}.
      </p>
      <nav aria-label="Time window" class="actions">
        {(["24h", "7d"] as const).map((name) => (
          <a href={consoleURL(basePath, { window: name, user: search?.query })} aria-current={name === window ? "page" : undefined}>
            {name === "24h" ? "Last 24 hours" : "Last 7 days"}
          </a>
        ))}
      </nav>
      <dl>
        <dt>Live sessions</dt>
        <dd>
          {active.sessions} ({count(active.users, "person", "people")})
        </dd>
        <dt>Session lifetime</dt>
        <dd>{metrics.duration.average === null ? "none ended" : `average ${duration(metrics.duration.average)}, median ${duration(metrics.duration.median!)}`}</dd>
        <dt>Second factor</dt>
        <dd>
          {count(secondFactor.enabled, "person", "people")} ({adoption}); {secondFactor.failing} failing, {secondFactor.blocked} waiting
        </dd>
      </dl>
      <SeriesChart
        id="signins"
        title={`Sign-ins and failures, ${WINDOW_NAMES[window]}`}
        hourly={hourly}
        lines={[
          { name: "sign-in", class: "signin", data: signIns },
          { name: "failure", class: "failure", data: failures },
        ]}
      />
      <BarList id="providers" title="Live sessions by provider" items={Object.entries(active.byProvider)} empty="No one is signed in." />
      <BarList id="endings" title={`Sessions ended, ${WINDOW_NAMES[window]}, by how`} items={endings} empty="None ended." />
      <section aria-labelledby="events-title">
        <h2 id="events-title">Security events</h2>
        {events.length === 0 ? (
          <p class="muted">None in {WINDOW_NAMES[window]}.</p>
        ) : (
          <ul class="events">
            {events.map((event) => (
              <Event event={event} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="search-title">
        <h2 id="search-title">Find a user</h2>
        {ended && (
          <p role="status">
            Ended {count(ended.count, "session")} of {ended.user}.
          </p>
        )}
        <form method="get" action={`${basePath}/admin`} role="search">
          <input type="hidden" name="window" value={window} />
          <label for="user">User (provider:id)</label>
          <input
            type="text"
            id="user"
            name="user"
            value={search?.query}
            autocomplete="off"
            spellcheck={false}
            aria-invalid={search?.error ? "true" : undefined}
            aria-describedby={search?.error ? "user-error" : undefined}
          />
          {search?.error && (
            <p id="user-error" class="error">
              {search.error}
            </p>
          )}
          <button type="submit">Find</button>
        </form>
        {search && <UserSessions basePath={basePath} window={window} search={search} />}
      </section>
    </Layout>
  );
}
