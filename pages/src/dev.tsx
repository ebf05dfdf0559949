import { Layout } from "./layout";

export interface DevSignInPageProps {
  basePath: string;
  state: string;
  redirectURI: string;
  codeChallenge: string;
}

/** The development provider's stand-in for a provider's consent screen. */
export function DevSignInPage({ basePath, state, redirectURI, codeChallenge }: DevSignInPageProps) {
  return (
    <Layout title="Development sign-in" basePath={basePath}>
      <h1>Development sign-in</h1>
      <p class="muted">Local development only: you become whoever you type. Never enable DEV_PROVIDER in production.</p>
      <form method="post" action={`${basePath}/dev/authorize`}>
        <input type="hidden" name="state" value={state} />
        <input type="hidden" name="redirect_uri" value={redirectURI} />
        <input type="hidden" name="code_challenge" value={codeChallenge} />
        <label for="name">Your name</label>
        <input type="text" id="name" name="name" required maxlength={100} autocomplete="name" autofocus />
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </Layout>
  );
}
