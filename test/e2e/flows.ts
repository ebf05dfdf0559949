import type { BrowserContext } from "playwright-core";
import type { DevServer } from "./dev-server";

/** Signs in through the development provider in a real browser; the page ends on the signed-in page. */
export async function devSignIn(server: DevServer, context: BrowserContext, name: string) {
  const page = await context.newPage();
  await page.goto(`${server.url}/auth/signin?redirect_to=%2Fauth`);
  await page.getByRole("button", { name: "Continue with Development sign-in" }).click();
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${server.url}/auth`);
  return page;
}

export async function sessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((cookie) => cookie.name === "auth.session");
}
