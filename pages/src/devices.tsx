import type { DeviceSession } from "../../src/session/list";
import { Layout } from "./layout";
import { relativeTime } from "./relative-time";

/** A moment as "3 minutes ago", exact (UTC) on hover; `devices.js` says both in the viewer's language and time zone. */
const When = ({ at, now }: { at: string; now: number }) => (
  <time datetime={at} title={at.slice(0, 16).replace("T", " ") + " UTC"}>
    {relativeTime(at, now)}
  </time>
);

/**
 * "Your devices": a page of this user's live sessions, each with a way to
 * end it, and a link to the next page. Each device is named coarsely here
 * and finely by `devices.js` (bowser) from its User-Agent; the sign-out
 * buttons take their names from the same element, so they always agree.
 */
export function DevicesPage({ basePath, sessions, next, now }: { basePath: string; sessions: DeviceSession[]; next?: string; now: number }) {
  return (
    <Layout title="Your devices" basePath={basePath} script="devices.js">
      <h1>Your devices</h1>
      <ul class="devices">
        {sessions.map((session) => (
          <li data-session={session.id}>
            <div>
              <strong id={`d-${session.id}`} data-ua={session.userAgent ?? undefined}>
                {session.device}
              </strong>
              {session.current && (
                <span class="badge" id={`c-${session.id}`}>
                  This device
                </span>
              )}
              {session.deviceBound && <span class="badge">Device-bound</span>}
              <p class="muted">
                {session.country ? `${session.country} · ` : ""}last used <When at={session.lastUsedAt} now={now} /> · signed in <When at={session.createdAt} now={now} />
              </p>
              {session.origins.length > 1 && <p class="muted">On {session.origins.map((origin) => new URL(origin).host).join(", ")}</p>}
            </div>
            <form method="post" action={`${basePath}/sessions/${session.id}`}>
              <input type="hidden" name="_method" value="DELETE" />
              <button type="submit" id={`s-${session.id}`} aria-labelledby={`s-${session.id} d-${session.id}${session.current ? ` c-${session.id}` : ""}`}>
                Sign out
              </button>
            </form>
          </li>
        ))}
      </ul>
      {next && (
        <p>
          <a href={`${basePath}/sessions?after=${next}`}>More</a>
        </p>
      )}
      <form method="post" action={`${basePath}/signout?all=1`}>
        <button type="submit">Sign out everywhere</button>
      </form>
      <p>
        <a href={basePath}>Back</a>
      </p>
    </Layout>
  );
}
