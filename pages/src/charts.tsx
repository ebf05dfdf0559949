import type { Series } from "../../src/session/metrics";
import { count } from "./format";

export interface Line {
  /** "sign-in": the bars' name, one and many by `count`. */
  name: string;
  /** The CSS class that colours its bars and legend swatch (style.css). */
  class: string;
  data: Series;
}

/**
 * Counts per hour or day as grouped bars, scaled to the window's highest.
 * The picture is drawn to stretch (text in an SVG would shrink to nothing
 * on a phone), so its labels are HTML around it. What it shows is said in
 * the image's accessible name, and slot by slot in a table under it.
 */
export function SeriesChart({ id, title, lines, hourly }: { id: string; title: string; lines: Line[]; hourly: boolean }) {
  const slots = lines[0]!.data.series;
  const highest = Math.max(1, ...lines.flatMap((line) => line.data.series.map((slot) => slot.count)));
  const width = 100 / lines.length;
  // The page says times are UTC; the summary, read on its own, says it again.
  const label = (at: string) => (hourly ? at.slice(11, 16) : at.slice(0, 10));
  const peaks = lines.map((line) => {
    const peak = line.data.series.reduce((best, slot) => (slot.count > best.count ? slot : best));
    return peak.count > 0 ? `; most ${line.name}s ${peak.count}, ${hourly ? `the hour from ${label(peak.at)} UTC` : `on ${label(peak.at)}`}` : "";
  });
  const summary = `${title}: ${lines.map((line) => count(line.data.total, line.name)).join(", ")}${peaks.join("")}`;
  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <p class="legend">
        {lines.map((line) => (
          <span>
            <span class={`swatch ${line.class}`} /> {count(line.data.total, line.name)}
          </span>
        ))}
        <span class="muted">scale 0–{highest}</span>
      </p>
      <svg role="img" aria-label={summary} viewBox={`0 0 ${slots.length * 100} 100`} preserveAspectRatio="none">
        {lines.map((line, l) =>
          line.data.series.map((slot, i) => {
            const height = (slot.count / highest) * 100;
            return slot.count > 0 && (
              <rect class={line.class} x={i * 100 + 10 + l * width * 0.8} y={100 - height} width={width * 0.8} height={height}>
                <title>{`${label(slot.at)}: ${count(slot.count, line.name)}`}</title>
              </rect>
            );
          }),
        )}
        <line class="axis" x1="0" y1="100" x2={slots.length * 100} y2="100" />
      </svg>
      <p class="ticks" aria-hidden="true">
        <span>{label(slots[0]!.at)}</span>
        <span>{label(slots[Math.floor(slots.length / 2)]!.at)}</span>
        <span>{label(slots[slots.length - 1]!.at)}</span>
      </p>
      <details>
        <summary>{hourly ? "Per hour" : "Per day"}, as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{hourly ? "Hour (UTC)" : "Day (UTC)"}</th>
              {lines.map((line) => (
                <th scope="col">{`${line.name[0]!.toUpperCase()}${line.name.slice(1)}s`}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {slots.map((slot, i) => (
              <tr>
                <th scope="row">{label(slot.at)}</th>
                {lines.map((line) => (
                  <td>{line.data.series[i]!.count}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/**
 * Named counts as horizontal bars: the names and numbers are the list's
 * own text, the bars (an SVG each, to the largest) only draw it.
 */
export function BarList({ id, title, items, empty }: { id: string; title: string; items: [name: string, count: number][]; empty: string }) {
  const highest = Math.max(1, ...items.map(([, n]) => n));
  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      {items.length === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <ul class="bars">
          {items.map(([name, n]) => (
            <li>
              <span>{name}</span>
              <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                <rect class="bar" width={(n / highest) * 100} height="10" />
              </svg>
              <span>{n}</span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
