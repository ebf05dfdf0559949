import { Layout } from "./layout";

export interface SecondFactorPageProps {
  basePath: string;
  error?: string;
}

/** Asked between the provider and the session when a second factor is on. */
export function SecondFactorPage({ basePath, error }: SecondFactorPageProps) {
  return (
    <Layout title="Two-step verification" basePath={basePath}>
      <h1>Two-step verification</h1>
      <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form method="post" action={`${basePath}/2fa/verify`}>
        <label for="code">Code</label>
        <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength={20} autofocus />
        <label>
          <input type="checkbox" name="remember_device" value="1" /> Remember this device for 30 days
        </label>
        <button type="submit" class="primary">
          Verify
        </button>
      </form>
    </Layout>
  );
}
