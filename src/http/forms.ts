import type { Context, MiddlewareHandler } from "hono";
import { readLimited } from "./body";
import { AuthError } from "../errors";

/** Our forms carry a few short fields; anything bigger is not one of them. */
const MAX_FORM_BYTES = 16 * 1024;

const malformed = () => new AuthError(400, "bad_request", "The form could not be read.");
const tooLarge = () => new AuthError(413, "form_too_large", "The form is too large.");

/**
 * Refuses a request whose declared body is over the form limit before
 * anything reads it. Bodies without a length (chunked) are bounded where
 * they are read, by `readForm`; nothing under the auth routes reads a body
 * any other way.
 */
export const refuseLargeBodies: MiddlewareHandler = async (c, next) => {
  if (Number(c.req.header("Content-Length") ?? 0) > MAX_FORM_BYTES) throw tooLarge();
  await next();
};

/**
 * The string fields of a posted form (urlencoded or multipart). A body over
 * 16 KiB is refused without being buffered (413); one that cannot be
 * parsed is a clean 400.
 */
export async function readForm(c: Context): Promise<Record<string, string>> {
  if (Number(c.req.header("Content-Length") ?? 0) > MAX_FORM_BYTES) throw tooLarge();
  const type = c.req.header("Content-Type") ?? "";
  const bytes = await readLimited(c.req.raw.body, MAX_FORM_BYTES);
  if (!bytes) throw tooLarge();
  let entries: Iterable<[string, unknown]>;
  if (type.startsWith("application/x-www-form-urlencoded")) {
    entries = new URLSearchParams(new TextDecoder().decode(bytes));
  } else if (type.startsWith("multipart/form-data")) {
    try {
      entries = await new Response(bytes, { headers: { "Content-Type": type } }).formData();
    } catch {
      throw malformed();
    }
  } else {
    throw malformed();
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of entries) if (typeof value === "string" && !(name in fields)) fields[name] = value;
  return fields;
}
