import type { Provider } from "../../src/providers/types";
import type { AppSignIn } from "../../src/signin/handoff";
import { Layout } from "./layout";

export interface SignInPageProps {
  basePath: string;
  providers: Pick<Provider, "id" | "name">[];
  redirectTo: string;
  /** In the development build, this page on localhost: the way in when no provider answers here. */
  localURL?: string;
  /** Just signed out: say so. */
  out?: boolean;
  /** The app origin this sign-in is for, carried on to the provider's start. */
  app?: AppSignIn | null;
}

export function SignInPage({ basePath, providers, redirectTo, localURL, out, app }: SignInPageProps) {
  return (
    <Layout title="Sign in" basePath={basePath}>
      <h1>Sign in</h1>
      {out && <p role="status">You are signed out.</p>}
      {providers[0] ? (
        <form method="get" action={`${basePath}/signin/${providers[0].id}`}>
          <input type="hidden" name="redirect_to" value={redirectTo} />
          {app && <input type="hidden" name="app" value={app.origin} />}
          {app && <input type="hidden" name="h" value={app.hash} />}
          {providers.map((provider) => (
            <button type="submit" class="primary" formaction={`${basePath}/signin/${provider.id}`}>
              Continue with {provider.name}
            </button>
          ))}
          <label>
            <input type="checkbox" name="remember" value="1" /> Keep me signed in on this device
          </label>
        </form>
      ) : (
        // Only the development provider is enabled, and it answers localhost alone.
        localURL && <p role="alert">
          Development sign-in works only on localhost: open <a href={localURL}>{localURL}</a>, or set GITHUB_CLIENT_ID and
          GITHUB_CLIENT_SECRET (or Vercel's).
        </p>
      )}
    </Layout>
  );
}
