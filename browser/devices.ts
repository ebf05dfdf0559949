// "Your devices", in the viewer's browser: names each device from the
// User-Agent it signed in with by bowser (a maintained parser, too large
// for the worker's bundle budget), and says the times in the viewer's
// language with the exact local time on hover. Without this script the
// page still shows the server's coarse names and English times.
import Bowser from "bowser";
import { relativeTime } from "../pages/src/relative-time";

for (const name of document.querySelectorAll<HTMLElement>("[data-ua]")) {
  const parser = Bowser.getParser(name.dataset.ua ?? "");
  const browser = parser.getBrowserName();
  const system = parser.getOSName();
  if (browser && system) name.textContent = `${browser} on ${system}`;
}

const now = Date.now();
for (const time of document.querySelectorAll("time")) {
  time.textContent = relativeTime(time.dateTime, now, navigator.language);
  time.title = new Date(time.dateTime).toLocaleString(navigator.language, { dateStyle: "long", timeStyle: "short" });
}
