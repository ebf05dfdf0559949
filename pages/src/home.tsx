import type { Session } from "../../src/session/session";
import { Layout } from "./layout";

export interface HomePageProps {
  basePath: string;
  /** Who is signed in: nothing of the session's tokens. */
  session: Pick<Session, "user" | "userKey">;
  providerName: string;
}

/** The minimal signed-in page: who you are, and a way out. */
export function HomePage({ basePath, session, providerName }: HomePageProps) {
  const { user } = session;
  return (
    <Layout title="Signed in" basePath={basePath}>
      <div class="who">
        {user.avatarUrl && <img src={user.avatarUrl} alt="" />}
        <div>
          <h1>{user.name ?? user.login}</h1>
          <p class="muted">Signed in with {providerName}</p>
        </div>
      </div>
      <dl>
        <dt>Login</dt>
        <dd data-testid="login">{user.login}</dd>
        <dt>Email</dt>
        <dd>{user.email ?? "—"}</dd>
        <dt>User</dt>
        <dd>{session.userKey}</dd>
      </dl>
      <div class="actions">
        <a class="button" href={`${basePath}/sessions`}>
          Your devices
        </a>
        <a class="button" href={`${basePath}/security`}>
          Security
        </a>
        <form method="post" action={`${basePath}/signout`}>
          <button type="submit">Sign out</button>
        </form>
      </div>
    </Layout>
  );
}
