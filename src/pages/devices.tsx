import type { DeviceSession } from "../session/list";
import { Layout } from "./layout";

const when = (iso: string) => iso.slice(0, 16).replace("T", " ") + " UTC";

/** "Your devices": a page of this user's live sessions, each with a way to end it, and a link to the next page. */
export function DevicesPage({ basePath, sessions, next }: { basePath: string; sessions: DeviceSession[]; next?: string }) {
  return (
    <Layout title="Your devices" basePath={basePath}>
      <h1>Your devices</h1>
      <ul class="devices">
        {sessions.map((session) => (
          <li data-session={session.id}>
            <div>
              <strong>{session.device}</strong>
              {session.current && <span class="badge"> This device</span>}
              <p class="muted">
                {session.country ? `${session.country} · ` : ""}last used {when(session.lastUsedAt)} · signed in {when(session.createdAt)}
              </p>
            </div>
            <form method="post" action={`${basePath}/sessions/${session.id}`}>
              <input type="hidden" name="_method" value="DELETE" />
              <button type="submit" aria-label={`Sign out ${session.device}${session.current ? " (this device)" : ""}`}>
                Sign out
              </button>
            </form>
          </li>
        ))}
      </ul>
      {next && <p><a href={`${basePath}/sessions?after=${next}`}>More</a></p>}
      <form method="post" action={`${basePath}/signout?all=1`}>
        <button type="submit">Sign out everywhere</button>
      </form>
      <p>
        <a href={basePath}>Back</a>
      </p>
    </Layout>
  );
}
