import type { Child } from "hono/jsx";
import { raw } from "hono/html";

export interface LayoutProps {
  title: string;
  /** Where the stylesheet is served; omitted when the configuration is broken. */
  basePath?: string;
  /** Send the browser on to this URL at once (a meta refresh: no script needed). */
  refreshTo?: string;
  /** A script of ours (`src/http/assets.ts`) that refines the page; the page works without it. */
  script?: string;
  /** Room for tables and charts (the admin console) rather than one narrow card. */
  wide?: boolean;
  children?: Child;
}

export function Layout({ title, basePath, refreshTo, script, wide, children }: LayoutProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          {/* No favicon: saves every page a request that would only 404. */}
          <link rel="icon" href="data:," />
          <title>{title}</title>
          {refreshTo !== undefined && <meta http-equiv="refresh" content={`0;url=${refreshTo}`} />}
          {basePath !== undefined && <link rel="stylesheet" href={`${basePath}/style.css`} />}
          {script && <script src={`${basePath}/${script}`} defer />}
        </head>
        <body>
          <main class={wide ? "wide" : undefined}>{children}</main>
        </body>
      </html>
    </>
  );
}
