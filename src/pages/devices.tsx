import { Layout } from "./layout";

export interface DeviceView {
  id: string;
  current: boolean;
  device: string;
  country: string | null;
  createdAt: string;
  lastUsedAt: string;
}

const when = (iso: string) => iso.slice(0, 16).replace("T", " ") + " UTC";

/** "Your devices": every live session of this user, each with a way to end it. */
export function DevicesPage({ basePath, sessions }: { basePath: string; sessions: DeviceView[] }) {
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
      <form method="post" action={`${basePath}/signout?all=1`}>
        <button type="submit">Sign out everywhere</button>
      </form>
      <p>
        <a href={basePath}>Back</a>
      </p>
    </Layout>
  );
}
