// The Security page, in the viewer's browser: draws the authenticator
// URI's QR code. Without this script the page still shows the key to type.
import { qrSVG } from "./qr";

for (const figure of document.querySelectorAll<HTMLElement>("[data-otpauth]")) figure.innerHTML = qrSVG(figure.dataset.otpauth ?? "");
