import { raw } from "hono/html";
import { Layout } from "./layout";

export type SecondFactorState =
  | { state: "off" }
  | { state: "pending"; qrSVG: string; secret: string; uri: string }
  | { state: "on"; since: string; recoveryCodesLeft: number; failedAttempts: number };

export interface SecurityPageProps {
  basePath: string;
  factor: SecondFactorState;
  error?: string;
}

/** "Security": set up, confirm or turn off the second factor. */
export function SecurityPage({ basePath, factor, error }: SecurityPageProps) {
  return (
    <Layout title="Security" basePath={basePath}>
      <h1>Two-step verification</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {factor.state === "off" && (
        <>
          <p>Off. With it on, signing in also asks for a code from an authenticator app.</p>
          <form method="post" action={`${basePath}/2fa/setup`}>
            <button type="submit" class="primary">
              Set up an authenticator app
            </button>
          </form>
        </>
      )}
      {factor.state === "pending" && (
        <>
          <p>Scan this with your authenticator app, or type the key in, then enter the code it shows.</p>
          <figure class="qr" aria-label="QR code of the authenticator key">
            {raw(factor.qrSVG)}
          </figure>
          <p>
            Key: <code data-testid="totp-secret">{factor.secret}</code>
          </p>
          <form method="post" action={`${basePath}/2fa/enable`}>
            <label for="code">Code from the app</label>
            <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength={6} />
            <button type="submit" class="primary">
              Turn on
            </button>
          </form>
        </>
      )}
      {factor.state === "on" && (
        <>
          <p>
            On since {factor.since}. {factor.recoveryCodesLeft} recovery codes left.
          </p>
          {factor.failedAttempts > 0 && (
            <p role="status" class="error">
              {factor.failedAttempts} failed {factor.failedAttempts === 1 ? "attempt" : "attempts"} since your last sign-in. If they were not yours,
              someone else can get past your provider's sign-in: secure that account.
            </p>
          )}
          <form method="post" action={`${basePath}/2fa/disable`}>
            <label for="code">A code from the app, or a recovery code</label>
            <input type="text" id="code" name="code" autocomplete="one-time-code" required maxlength={20} />
            <button type="submit">Turn off</button>
          </form>
        </>
      )}
      <p>
        <a href={basePath}>Back</a>
      </p>
    </Layout>
  );
}

/** Shown once, right after the second factor is turned on. */
export function RecoveryCodesPage({ basePath, codes }: { basePath: string; codes: string[] }) {
  return (
    <Layout title="Recovery codes" basePath={basePath}>
      <h1>Save your recovery codes</h1>
      <p>Each works once, in place of a code from your app. They are shown only now.</p>
      <ul class="codes" data-testid="recovery-codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>
        <a class="button" href={`${basePath}/security`}>
          Done
        </a>
      </p>
    </Layout>
  );
}
