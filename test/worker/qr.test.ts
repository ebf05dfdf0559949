import jsQR from "jsqr";
import { describe, expect, it } from "vitest";
import { qrSVG } from "../../browser/qr";

/** Rasterises the SVG's modules (the `M x y h1v1h-1z` squares) and reads them back with a QR decoder. */
function decode(svg: string): string | null {
  const [, minX, , side] = /viewBox="(-?\d+) (-?\d+) (\d+) (\d+)"/.exec(svg)!.map(Number);
  const scale = 4;
  const width = side! * scale;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  const path = /<path d="([^"]*)"/.exec(svg)![1]!;
  for (const [, x, y] of path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = (((+y! - minX!) * scale + dy) * width + (+x! - minX!) * scale + dx) * 4;
        pixels.set([0, 0, 0, 255], i);
      }
    }
  }
  return jsQR(pixels, width, width)?.data ?? null;
}

describe("the authenticator QR code", () => {
  it("reads back as the otpauth URI, with its quiet zone", () => {
    const uri = "otpauth://totp/localhost:ada%40example.com?issuer=localhost&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30";
    const svg = qrSVG(uri);
    expect(svg).toMatch(/^<svg [^>]*viewBox="-4 -4 /);
    expect(decode(svg)).toBe(uri);
  });
});
