import { Layout } from "./layout";
import { CodeInput, FormError } from "./second-factor";

export type SecondFactorState =
  | { state: "off" }
  | { state: "pending"; secret: string; uri: string }
  | {
      state: "on";
      since: string;
      recoveryCodesLeft: number;
      failedAttempts: number;
      /** The second factor was shown in this session in the last 10 minutes: passkeys may change. */
      steppedUp: boolean;
      passkeys: PasskeyEntry[];
    };

/** A passkey as the Security page lists it. */
export interface PasskeyEntry {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** Backed up by its provider (synced to the user's other devices). */
  synced: boolean;
}

const day = (at: string) => at.slice(0, 10);

export interface SecurityPageProps {
  basePath: string;
  factor: SecondFactorState;
  error?: string;
}

/** "Security": set up, confirm or turn off the second factor. */
export function SecurityPage({ basePath, factor, error }: SecurityPageProps) {
  return (
    <Layout title="Security" basePath={basePath} script={factor.state === "pending" ? "security.js" : factor.state === "on" ? "passkeys.js" : undefined}>
      <h1>Two-step verification</h1>
      <FormError error={error} />
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
          <p>Scan this with your authenticator app, or type in the key, then enter its code.</p>
          <figure class="qr" role="img" aria-label="QR code of the authenticator key" data-otpauth={factor.uri} />
          <p>
            Key: <code data-testid="totp-secret">{factor.secret}</code>
          </p>
          <form method="post" action={`${basePath}/2fa/enable`}>
            <CodeInput label="Code from the app" error={error} inputmode="numeric" maxlength={6} />
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
              {factor.failedAttempts} failed {factor.failedAttempts === 1 ? "attempt" : "attempts"} since your last sign-in. Not yours? Then someone has your
              provider sign-in: secure it.
            </p>
          )}
          {/* Enter submits with the first button: the one that takes nothing away. */}
          <form method="post" action={`${basePath}/2fa/codes`}>
            <CodeInput label="A code from the app, or a recovery code" error={error} />
            <button type="submit">New recovery codes</button> <button formaction={`${basePath}/2fa/disable`}>Turn off</button>
          </form>
          <h2 id="passkeys-title">Passkeys</h2>
          <p>Sign in with a touch or a glance instead of typing a code: a passkey cannot be phished.</p>
          {!factor.steppedUp && (
            <>
              <p>To add or remove passkeys, confirm it is you.</p>
              {factor.passkeys.length > 0 && (
                // passkeys.js shows this.
                <form data-passkey-stepup={basePath} hidden>
                  <p id="stepup-error" class="error" role="alert" />
                  <button type="submit" class="primary">
                    Confirm with a passkey
                  </button>
                </form>
              )}
              <form method="post" action={`${basePath}/2fa/step-up`}>
                <CodeInput id="stepup-code" label="Or a code from the app" error={error} />
                <button type="submit">Confirm</button>
              </form>
            </>
          )}
          {factor.passkeys.length > 0 && (
            <ul class="devices" aria-labelledby="passkeys-title">
              {factor.passkeys.map((passkey) => (
                <li>
                  <div>
                    <strong id={`p-${passkey.id}`}>{passkey.name}</strong>
                    <p class="muted">
                      added {day(passkey.createdAt)} · {passkey.lastUsedAt ? `last used ${day(passkey.lastUsedAt)}` : "not used yet"}
                      {passkey.synced && " · synced"}
                    </p>
                  </div>
                  <form method="post" action={`${basePath}/passkeys/${passkey.id}`} hidden={!factor.steppedUp}>
                    <input type="hidden" name="_method" value="DELETE" />
                    <button type="submit" id={`r-${passkey.id}`} aria-labelledby={`r-${passkey.id} p-${passkey.id}`}>
                      Remove
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          )}
          {/* passkeys.js shows this: without script a passkey cannot be made. */}
          <form data-passkey-add={factor.steppedUp ? basePath : undefined} hidden>
            <label for="passkey-name">Name of the new passkey</label>
            <input type="text" id="passkey-name" name="name" maxlength={64} value="Passkey" />
            <p id="passkey-error" class="error" role="alert" />
            <button type="submit">Add a passkey</button>
          </form>
        </>
      )}
      <p>
        <a href={basePath}>Back</a>
      </p>
    </Layout>
  );
}

/** Shown once, right after the codes are made: to copy from the box, or to download. */
export function RecoveryCodesPage({ basePath, codes }: { basePath: string; codes: string[] }) {
  const text = codes.join("\n");
  return (
    <Layout title="Recovery codes" basePath={basePath}>
      <h1>Save your recovery codes</h1>
      <p>Each works once, in place of a code from your app. They are shown only now.</p>
      <textarea class="codes" aria-label="Recovery codes" data-testid="recovery-codes" readonly rows={codes.length}>
        {text}
      </textarea>
      <p>
        <a class="button" href={`data:text/plain,${encodeURIComponent(text)}`} download="recovery-codes.txt">
          Download
        </a>{" "}
        <a class="button" href={`${basePath}/security`}>
          Done
        </a>
      </p>
    </Layout>
  );
}
