import { correction, generate } from "lean-qr/nano";

/** Modules of white around the code: the quiet zone QR readers need. */
const QUIET = 4;

/**
 * The authenticator URI as an inline SVG QR code (lean-qr's encoder, medium
 * error correction): one path, one unit per module, so it scales crisply
 * and costs no image request or CSP exception. Drawn in the browser
 * (`security.ts`): the encoder would cost the worker 2 KiB of its bundle.
 */
export function qrSVG(text: string): string {
  const code = generate(text, { minCorrectionLevel: correction.M });
  let path = "";
  for (let y = 0; y < code.size; y++) for (let x = 0; x < code.size; x++) if (code.get(x, y)) path += `M${x} ${y}h1v1h-1z`;
  const side = code.size + 2 * QUIET;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-${QUIET} -${QUIET} ${side} ${side}" width="${side * 4}" height="${side * 4}" shape-rendering="crispEdges"><path fill="#fff" d="M-${QUIET}-${QUIET}h${side}v${side}h-${side}z"/><path d="${path}"/></svg>`;
}
