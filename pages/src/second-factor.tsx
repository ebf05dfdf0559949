import type { Child } from "hono/jsx";
import { Layout } from "./layout";

/** A form's error, which its code input points at (`aria-describedby`). */
export const FormError = ({ error, children }: { error?: string; children?: Child }) =>
  error && (
    <p role="alert" class="error" id="error">
      {error}
      {children}
    </p>
  );

/** The code input of a second-factor form, marked invalid while there is an error. */
export const CodeInput = ({ label, error, id = "code", ...attributes }: { label: string; error?: string; id?: string } & Record<string, unknown>) => (
  <>
    <label for={id}>{label}</label>
    <input
      type="text"
      id={id}
      name="code"
      autocomplete="one-time-code"
      required
      maxlength={20}
      aria-invalid={error && "true"}
      aria-describedby={error && "error"}
      {...attributes}
    />
  </>
);

export interface SecondFactorPageProps {
  basePath: string;
  error?: string;
  /** Attempts this pending sign-in still has, after a wrong code. */
  left?: number;
  /** The user has a passkey: offered first (passkeys.js). */
  passkeys?: boolean;
}

/** Asked between the provider and the session when a second factor is on. */
export function SecondFactorPage({ basePath, error, left, passkeys }: SecondFactorPageProps) {
  return (
    <Layout title="Two-step verification" basePath={basePath} script={passkeys ? "passkeys.js" : undefined}>
      <h1>Two-step verification</h1>
      {passkeys && (
        // passkeys.js shows this; the code below stays for everyone.
        <form data-passkey-signin={basePath} hidden>
          <p id="passkey-error" class="error" role="alert" />
          <button type="submit" class="primary">
            Use a passkey
          </button>
        </form>
      )}
      <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      <FormError error={error}>{left !== undefined && ` Attempts left: ${left}.`}</FormError>
      <form method="post" action={`${basePath}/2fa/verify`}>
        <CodeInput label="Code" error={error} inputmode="numeric" autofocus />
        <label>
          <input type="checkbox" name="remember_device" value="1" /> Remember this device for 30 days
        </label>
        <button type="submit" class="primary">
          Verify
        </button>
      </form>
      <p>
        <a href={`${basePath}/2fa?cancel`}>Cancel</a>
      </p>
    </Layout>
  );
}
