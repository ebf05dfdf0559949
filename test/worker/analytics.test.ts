import { describe, expect, it } from "vitest";
import { browse, LOCAL, signIn } from "./helpers";

/** An Analytics Engine binding that keeps what it is given. */
const points: AnalyticsEngineDataPoint[] = [];
const WITH_ANALYTICS = { ANALYTICS: { writeDataPoint: (point: AnalyticsEngineDataPoint) => void points.push(point) } };
/** One that fails: a metric lost must not cost the request. */
const BROKEN = { ANALYTICS: { writeDataPoint: () => { throw new Error("analytics down"); } } };

const events = () => points.map((point) => point.blobs![0]);

describe("audit events in Workers Analytics Engine", () => {
  it("writes one data point per event — event, user, provider, kind or reason, country — and none for a normal request", async () => {
    points.length = 0;
    const { jar } = await signIn("dev", { as: "Metric Maker", vars: WITH_ANALYTICS });
    expect(points).toContainEqual({ indexes: ["signin"], blobs: ["signin", "dev:metric-maker", "dev", "", ""], doubles: [1] });

    const before = points.length;
    for (let i = 0; i < 3; i++) expect((await browse(jar, "/auth/session", {}, WITH_ANALYTICS)).status).toBe(200);
    expect(points.length, "a normal request writes nothing").toBe(before);

    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } }, WITH_ANALYTICS);
    expect(points.slice(before)).toContainEqual({ indexes: ["revoked"], blobs: ["revoked", "dev:metric-maker", "", "signout", ""], doubles: [1] });
    expect(events()).not.toContain(undefined);
  });

  it("carries on when the binding fails", async () => {
    const { jar, response } = await signIn("dev", { as: "Metric Lost", vars: BROKEN });
    expect(response.status).toBe(302);
    expect((await browse(jar, "/auth/session", {}, BROKEN)).status).toBe(200);
  });
});
