import { Layout } from "./layout";

export interface ErrorPageProps {
  status: number;
  message: string;
  basePath?: string;
  /**
   * Not signed in: where to sign in. The page moves on there at once (a
   * meta refresh: what a browser sees when forward auth's proxy passes our
   * 401 on, or after a form post that found no session).
   */
  signin?: string;
}

export function ErrorPage({ status, message, basePath, signin }: ErrorPageProps) {
  const title = signin ? "Sign in required" : status === 403 ? "Not allowed" : status === 404 ? "Not found" : status < 500 ? "Sign-in problem" : "Something went wrong";
  const button = signin ?? (basePath !== undefined && `${basePath}/signin`);
  return (
    <Layout title={title} basePath={basePath} refreshTo={signin}>
      <h1>{title}</h1>
      <p role="alert">{message}</p>
      {button && (
        <p>
          <a class="button" href={button}>
            {signin ? "Sign in" : "Back to sign in"}
          </a>
        </p>
      )}
      <p class="muted">Error {status}</p>
    </Layout>
  );
}

/** A broken configuration, for whoever runs the worker: every problem, once. */
export function MisconfiguredPage({ problems }: { problems: string[] }) {
  return (
    // "./style.css": the page may be at any path, and so may the stylesheet while nothing else works.
    <Layout title="Server misconfigured" basePath=".">
      <h1>Server misconfigured</h1>
      <p role="alert">Fix these settings, then restart or redeploy:</p>
      <ul>
        {problems.map((problem) => (
          <li>{problem}</li>
        ))}
      </ul>
      <p class="muted">Error 500</p>
    </Layout>
  );
}
