const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 31_536_000],
  ["month", 2_592_000],
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];

/**
 * "3 minutes ago", "in 2 days", "now": `at` (ISO) relative to `now`
 * (epoch ms) in the largest unit that fits. The pages render it in English
 * on the server; `browser/devices.ts` renders it again in the viewer's
 * language, with the exact local time on hover.
 */
export function relativeTime(at: string, now: number, locale = "en"): string {
  const seconds = Math.round((Date.parse(at) - now) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, size] of UNITS) if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  return format.format(0, "second");
}
