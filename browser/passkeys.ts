// Passkeys: adding one on the Security page, and using one at the
// second-factor prompt. Both forms stay hidden without script or WebAuthn's
// JSON helpers (the code form is always there); the worker checks
// everything (src/second-factor/passkeys.ts).

interface Answer {
  message?: string;
  redirectTo?: string;
}

async function post(url: string, body: unknown = {}): Promise<Answer & Record<string, unknown>> {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) });
  const answer = (await response.json().catch(() => ({}))) as Answer & Record<string, unknown>;
  if (!response.ok) throw new Error(answer.message ?? "Something went wrong. Please try again.");
  return answer;
}

/** What to tell the person: the worker's message, or the browser's "cancelled". */
const say = (error: unknown) =>
  error instanceof DOMException && error.name === "NotAllowedError" ? "The passkey was not used. Try again, or use a code." : error instanceof Error ? error.message : String(error);

const supported = typeof PublicKeyCredential !== "undefined" && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

function enhance(form: HTMLFormElement | null, act: (form: HTMLFormElement, base: string) => Promise<void>) {
  if (!form || !supported) return;
  const base = form.dataset.passkeyAdd ?? form.dataset.passkeySignin ?? form.dataset.passkeyStepup ?? "";
  const error = form.querySelector<HTMLElement>("[role=alert]")!;
  const button = form.querySelector<HTMLButtonElement>("button")!;
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      await act(form, base);
    } catch (thrown) {
      error.textContent = say(thrown);
    } finally {
      button.disabled = false;
    }
  });
}

enhance(document.querySelector<HTMLFormElement>("form[data-passkey-add]"), async (form, base) => {
  const options = await post(`${base}/passkeys/options`);
  const credential = (await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options as never) })) as PublicKeyCredential;
  await post(`${base}/passkeys`, { name: (form.elements.namedItem("name") as HTMLInputElement).value, credential: credential.toJSON() });
  location.reload();
});

enhance(document.querySelector<HTMLFormElement>("form[data-passkey-stepup]"), async (_form, base) => {
  const options = await post(`${base}/2fa/step-up/passkey/options`);
  const credential = (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options as never) })) as PublicKeyCredential;
  await post(`${base}/2fa/step-up/passkey`, { credential: credential.toJSON() });
  location.reload();
});

enhance(document.querySelector<HTMLFormElement>("form[data-passkey-signin]"), async (_form, base) => {
  const options = await post(`${base}/2fa/passkey/options`);
  const credential = (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options as never) })) as PublicKeyCredential;
  const remember = document.querySelector<HTMLInputElement>("input[name=remember_device]")?.checked === true;
  const { redirectTo } = await post(`${base}/2fa/passkey`, { credential: credential.toJSON(), remember });
  location.assign(redirectTo ?? base);
});
