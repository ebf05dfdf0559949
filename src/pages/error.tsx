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
  const title = signin ? "Sign in required" : status === 403 ? "Not allowed" : status < 500 ? "Sign-in problem" : "Something went wrong";
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
