/** The pages' only stylesheet, served from our own origin so the CSP can stay `style-src 'self'`. Colours meet WCAG AA in both schemes (test/e2e/accessibility.test.ts). */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f6f8fa; --card: #fff; --line: #d0d7de; --accent: #0969da; --btn: #0969da; --muted: #57606a; --err: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --card: #161b22; --line: #30363d; --accent: #4493f8; --btn: #1f6feb; --muted: #8d96a0; --err: #ff7b72; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, "Segoe UI", sans-serif; }
main { width: min(26rem, 100%); background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: clamp(1rem, 6vw, 2rem); }
a { color: var(--accent); }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); font-size: .9rem; }
form { display: grid; gap: .75rem; margin: 0; }
label { display: flex; gap: .5rem; align-items: center; }
input[type=text] { width: 100%; font: inherit; padding: .6rem .7rem; border: 1px solid var(--muted); border-radius: 8px; background: var(--bg); color: var(--fg); }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .65rem 1rem; border-radius: 8px; border: 1px solid var(--line);
  background: var(--bg); color: var(--fg); cursor: pointer; text-align: center; text-decoration: none; }
button.primary { background: var(--btn); border-color: var(--btn); color: #fff; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.who { display: flex; gap: 1rem; align-items: center; margin-bottom: 1rem; }
.who img { width: 56px; height: 56px; border-radius: 50%; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 0 0 1.25rem; }
dt { color: var(--muted); }
dd { margin: 0; }
h1, dd, code { overflow-wrap: anywhere; }
.devices { list-style: none; padding: 0; margin: 0 0 1.25rem; display: grid; gap: .75rem; }
.devices li { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .75rem; border: 1px solid var(--line); border-radius: 8px; padding: .75rem; }
.devices div { flex: 1 1 12rem; }
.devices p { margin: 0; }
.badge { color: var(--accent); font-size: .85rem; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; }
main > form + p { margin-top: 1rem; }
main > :last-child { margin-bottom: 0; }
.error { color: var(--err); font-weight: 600; }
.qr { margin: 0 0 1rem; display: flex; justify-content: center; }
.qr svg { width: 200px; height: 200px; background: #fff; padding: 8px; border-radius: 8px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.codes { columns: 2; list-style: none; padding: 0; margin: 0 0 1rem; }
`;
