import { Layout } from "./layout";

/** What a browser sees when a forward-auth proxy passes our 401 through: a nudge to sign in. */
export function SignInRequiredPage({ basePath, signin }: { basePath: string; signin: string }) {
  return (
    <Layout title="Sign in required" basePath={basePath} refreshTo={signin}>
      <h1>Sign in required</h1>
      <p>You need to sign in to see this page.</p>
      <p>
        <a class="button" href={signin}>
          Sign in
        </a>
      </p>
    </Layout>
  );
}
