import type { Context } from "hono";
import { AuthError } from "./errors";

/** Our forms carry a few short fields; anything bigger is not one of them. */
const MAX_FORM_BYTES = 16 * 1024;

const malformed = () => new AuthError(400, "bad_request", "The form could not be read.");

/** The string fields of a posted form; a malformed or oversized body is a clean 400/413. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const length = Number(c.req.header("Content-Length") ?? 0);
  if (length > MAX_FORM_BYTES) throw new AuthError(413, "form_too_large", "The form is too large.");
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw malformed();
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields[name] = value;
  return fields;
}
