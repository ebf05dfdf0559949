import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The README's fenced code block (of `lang`) that contains `marker`, exactly as published. */
export function readmeBlock(lang: string, marker: string): string {
  const blocks = [...readFileSync("README.md", "utf8").matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
  const found = blocks.filter((block) => block.includes(marker));
  if (found.length !== 1) throw new Error(`expected one ${lang} block with ${marker} in README.md, found ${found.length}`);
  return found[0]!;
}

/**
 * Runs a README JavaScript snippet as an upstream would: its imports at the
 * top of a module, the rest as the body of `(request) => …` that returns
 * `result`. Only the addresses in `replace` are changed. The module is
 * written inside the project so its imports resolve from node_modules.
 */
export async function runSnippet<T>(code: string, replace: Record<string, string>, result: string, request: { headers: Headers }): Promise<T> {
  let source = code;
  for (const [from, to] of Object.entries(replace)) source = source.replaceAll(from, to);
  const lines = source.split("\n");
  const imports = lines.filter((line) => line.startsWith("import "));
  const body = lines.filter((line) => !line.startsWith("import "));
  const dir = mkdtempSync(join(process.cwd(), "node_modules", ".readme-snippet-"));
  const file = join(dir, "snippet.mjs");
  writeFileSync(file, `${imports.join("\n")}\nexport default async function (request) {\n${body.join("\n")}\nreturn ${result};\n}\n`);
  try {
    const module = await import(pathToFileURL(file).href);
    return await module.default(request);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
