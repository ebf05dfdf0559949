import AxeBuilder from "@axe-core/playwright";
import type { Page } from "playwright-core";

/**
 * What axe does not check: elements of the card that stick out of it or cut
 * their own content, a page that scrolls sideways, and text fields whose
 * border is under 3:1 against what surrounds them (WCAG 1.4.11).
 */
function layoutAndBorders() {
  const root = document.documentElement;
  const card = document.querySelector("main")!.getBoundingClientRect();
  const out: string[] = [];
  if (root.scrollWidth > root.clientWidth) out.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
  for (const element of Array.from(document.querySelectorAll<HTMLElement>("main *"))) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const name = `${element.tagName.toLowerCase()} "${(element.textContent ?? "").trim().slice(0, 30)}"`;
    if (box.left < card.left - 0.5 || box.right > card.right + 0.5) out.push(`${name} outside the card`);
    // A text field scrolls its own long value: that is not cut.
    if (element.tagName !== "INPUT" && element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1) out.push(`${name} cut: ${element.scrollWidth} > ${element.clientWidth}`);
  }
  const luminance = (color: string) => {
    const [r, g, b] = color.match(/[\d.]+/g)!.map((v) => Number(v) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  for (const input of Array.from(document.querySelectorAll<HTMLElement>("input[type=text]"))) {
    let around: Element | null = input.parentElement;
    while (around && getComputedStyle(around).backgroundColor === "rgba(0, 0, 0, 0)") around = around.parentElement;
    const a = luminance(getComputedStyle(input).borderTopColor);
    const b = luminance(getComputedStyle(around ?? document.body).backgroundColor);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 3) out.push(`input#${input.id} border ${ratio.toFixed(2)}:1`);
  }
  return out;
}

/** Serious or critical axe violations (WCAG 2.1 A and AA) and what `layoutAndBorders` finds, one line each. */
export async function pageProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  for (const violation of violations) {
    if (violation.impact !== "serious" && violation.impact !== "critical") continue;
    for (const node of violation.nodes) problems.push(`${violation.id} (${violation.impact}) ${node.target.join(" ")}: ${node.failureSummary}`);
  }
  problems.push(...(await page.evaluate(layoutAndBorders)));
  return problems;
}
