import { afterEach, expect, test } from "vitest";
import { FakeJetStream } from "./fake-jetstream.js";
import { startMonitored, type Harness } from "./helpers.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** metric line -> value, for lines like `name{labels} value`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const value = (metrics: Map<string, number>, name: string) => [...metrics].find(([k]) => k.startsWith(`${name}{`))?.[1];

test("/metrics is off unless asked for", async () => {
  h = await startMonitored();
  expect((await h.get("/metrics")).status).toBe(404);
});

test("/metrics uses the exporter's gnatsd_varz_* and gnatsd_connz_* names and follows traffic", async () => {
  h = await startMonitored({}, { prometheus: true });
  const nc = await h.client();
  nc.subscribe("foo");
  for (let i = 0; i < 3; i++) nc.publish("foo", "hello");
  await nc.flush();
  const r = await h.get("/metrics");
  expect(r.status).toBe(200);
  expect(r.contentType).toContain("text/plain; version=0.0.4");
  expect(r.text).toContain("# TYPE gnatsd_varz_in_msgs counter");
  expect(r.text).toContain("# TYPE gnatsd_varz_connections gauge");
  expect(r.text).toContain(`gnatsd_varz_connections{server_id="${h.server.id}"} 1`);
  const m = parse(r.text);
  expect(value(m, "gnatsd_varz_in_msgs")).toBeGreaterThanOrEqual(3);
  expect(value(m, "gnatsd_varz_max_payload")).toBe(1024 * 1024);
  expect(value(m, "gnatsd_varz_slow_consumer_stats_clients")).toBe(0);
  expect(value(m, "gnatsd_connz_num_connections")).toBe(1);
  expect(value(m, "gnatsd_connz_in_msgs")).toBe(3);
  expect(value(m, "gnatsd_connz_subscriptions")).toBe(1);
  expect(value(m, "jetstream_server_jetstream_disabled")).toBe(1);
  // Every sample line is `name{labels} number`.
  for (const line of r.text.trim().split("\n").filter((l) => !l.startsWith("#"))) {
    expect(line).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*\{.*\} -?[0-9.e+]+$/);
  }
});

test("/metrics exports jetstream_server_*, jetstream_stream_* and jetstream_consumer_*", async () => {
  const js = new FakeJetStream();
  h = await startMonitored({}, { prometheus: true, jetstream: js });
  const m = parse((await h.get("/metrics")).text);
  expect(value(m, "jetstream_server_jetstream_disabled")).toBe(0);
  expect(value(m, "jetstream_server_total_streams")).toBe(1);
  expect(value(m, "jetstream_stream_total_messages")).toBe(3);
  expect(value(m, "jetstream_consumer_num_pending")).toBe(3);
  js.pending = 7;
  const again = parse((await h.get("/metrics")).text);
  expect(value(again, "jetstream_consumer_num_pending")).toBe(7);
  const consumerLine = [...again.keys()].find((k) => k.startsWith("jetstream_consumer_num_pending{"))!;
  expect(consumerLine).toContain('stream_name="ORDERS"');
  expect(consumerLine).toContain('consumer_name="C1"');
  expect(consumerLine).toContain('account="APP"');
});
