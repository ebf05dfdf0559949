/** An ISO time as "2026-11-30 14:05 UTC": admins compare events across time zones. */
export const utc = (at: string) => `${at.slice(0, 16).replace("T", " ")} UTC`;

/** Seconds as "3 d 4 h", "2 h 5 min", "40 s": the largest unit and, when not zero, the next. */
export function duration(seconds: number): string {
  const units: [number, string][] = [[86_400, "d"], [3_600, "h"], [60, "min"], [1, "s"]];
  const parts: string[] = [];
  let left = Math.round(seconds);
  for (const [size, name] of units) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n > 0) parts.push(`${n} ${name}`);
    else if (parts.length > 0) break;
    if (parts.length === 2) break;
  }
  return parts.join(" ") || "0 s";
}

/** "1 sign-in", "3 sign-ins". */
export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
