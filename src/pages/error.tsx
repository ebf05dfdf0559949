import { Layout } from "./layout";

export interface ErrorPageProps {
  status: number;
  message: string;
  basePath?: string;
}

export function ErrorPage({ status, message, basePath }: ErrorPageProps) {
  const title = status === 403 ? "Not allowed" : status < 500 ? "Sign-in problem" : "Something went wrong";
  return (
    <Layout title={title} basePath={basePath}>
      <h1>{title}</h1>
      <p role="alert">{message}</p>
      {basePath !== undefined && (
        <p>
          <a class="button" href={`${basePath}/signin`}>
            Back to sign in
          </a>
        </p>
      )}
      <p class="muted">Error {status}</p>
    </Layout>
  );
}
