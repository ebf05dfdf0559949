import type { Provider } from "../providers/types";
import { Layout } from "./layout";

export interface SignInPageProps {
  basePath: string;
  providers: Provider[];
  redirectTo: string;
}

export function SignInPage({ basePath, providers, redirectTo }: SignInPageProps) {
  return (
    <Layout title="Sign in" basePath={basePath}>
      <h1>Sign in</h1>
      <form method="get" action={`${basePath}/signin/${providers[0]?.id ?? ""}`}>
        <input type="hidden" name="redirect_to" value={redirectTo} />
        {providers.map((provider) => (
          <button type="submit" class="primary" formaction={`${basePath}/signin/${provider.id}`}>
            Continue with {provider.name}
          </button>
        ))}
        <label>
          <input type="checkbox" name="remember" value="1" /> Keep me signed in on this device
        </label>
      </form>
    </Layout>
  );
}
