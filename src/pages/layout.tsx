import type { Child } from "hono/jsx";
import { raw } from "hono/html";

export interface LayoutProps {
  title: string;
  /** Where the stylesheet is served; omitted when the configuration is broken. */
  basePath?: string;
  children?: Child;
}

export function Layout({ title, basePath, children }: LayoutProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{title}</title>
          {basePath !== undefined && <link rel="stylesheet" href={`${basePath}/style.css`} />}
        </head>
        <body>
          <main>{children}</main>
        </body>
      </html>
    </>
  );
}
