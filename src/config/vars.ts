import type { Vars } from "../env";

/**
 * Reads raw configuration strings, collecting every problem instead of
 * stopping at the first, so an operator sees all of them at once.
 * Messages name the variable and never include its value.
 */
export class VarReader {
  readonly problems: string[] = [];
  constructor(private readonly vars: Vars) {}

  string(name: string): string | undefined {
    const value = this.vars[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") {
      this.problems.push(`${name} must be a string`);
      return undefined;
    }
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  }

  /**
   * Whether a variable has a value, without reporting on it: for checks
   * that a variable read elsewhere is not set in vain.
   */
  isSet(name: string): boolean {
    const value = this.vars[name];
    return value !== undefined && value !== null && (typeof value !== "string" || value.trim() !== "");
  }

  list(name: string): string[] {
    const value = this.string(name);
    if (!value) return [];
    const items = value.split(",").map((item) => item.trim()).filter(Boolean);
    // Set to nothing but separators, an allow-list would silently allow everyone.
    if (items.length === 0) this.problems.push(`${name} is set but lists nothing: list entries, or remove ${name}`);
    return items;
  }

  boolean(name: string): boolean {
    const value = this.string(name);
    if (value === undefined) return false;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    this.problems.push(`${name} must be "true" or "false"`);
    return false;
  }

  /** A positive whole number of seconds (or milliseconds, by the caller's naming). */
  integer(name: string, fallback: number, min = 1): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min) {
      this.problems.push(`${name} must be a whole number ≥ ${min}`);
      return fallback;
    }
    return Number(value);
  }

  /** An http(s) URL without query or fragment; the path is kept (GitHub Enterprise uses /api/v3). */
  url(name: string, fallback?: string): string | undefined {
    const value = this.string(name) ?? fallback;
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${name} must be an absolute URL`);
      return undefined;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      this.problems.push(`${name} must be an http(s) URL`);
      return undefined;
    }
    if (url.search || url.hash || url.username || url.password) {
      this.problems.push(`${name} must not contain credentials, a query or a fragment`);
      return undefined;
    }
    return url.origin + url.pathname.replace(/\/+$/, "");
  }

  /** A pair of variables that only make sense together, such as a client id and secret. */
  pair(idName: string, secretName: string): { id: string; secret: string } | null {
    const id = this.string(idName);
    const secret = this.string(secretName);
    if (id && !secret) this.problems.push(`${secretName} is required when ${idName} is set`);
    if (secret && !id) this.problems.push(`${idName} is required when ${secretName} is set`);
    return id && secret ? { id, secret } : null;
  }
}
