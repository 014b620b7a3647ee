import { mkdtempSync, rmSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import { monitorPlugin, type MonitorPlugin } from "../src/index.js";
import { shapeDiff } from "./shape.js";

// The monitor with the real @nats-ts/jetstream plugin: its statistics reach /jsz, /varz and
// STATSZ, in the shapes the Go server produced for the same stream and consumer.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/go/${name}.json`, import.meta.url), "utf8"));

let dir: string;
let server: NatsServer;
let monitor: MonitorPlugin;
let nc: NatsConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "monitor-js-"));
  monitor = monitorPlugin();
  server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: -1, jetstream: { store_dir: dir } }, { plugins: [jetstreamPlugin(), monitor] });
  await server.start();
  nc = await connect({ servers: server.clientURL });
  const api = async (subject: string, body: unknown) => (await nc.request(subject, JSON.stringify(body), { timeout: 5000 })).json<any>();
  const created = await api("$JS.API.STREAM.CREATE.ORDERS", { name: "ORDERS", subjects: ["orders.>"], storage: "file" });
  expect(created.error).toBeUndefined();
  for (let i = 0; i < 3; i++) await nc.request("orders.new", "o", { timeout: 5000 });
  const consumer = await api("$JS.API.CONSUMER.CREATE.ORDERS.C1", { stream_name: "ORDERS", config: { durable_name: "C1", ack_policy: "explicit" } });
  expect(consumer.error).toBeUndefined();
});

afterAll(async () => {
  await nc?.close();
  await server?.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => (await fetch(`http://127.0.0.1:${monitor.httpPort}${path}`)).json();

test("/jsz counts the real stream, consumer and messages", async () => {
  const j = await get("/jsz?consumers=true&config=true");
  expect(j.disabled).toBeUndefined();
  expect([j.streams, j.consumers, j.messages]).toEqual([1, 1, 3]);
  const stream = j.account_details[0].stream_detail[0];
  expect(stream.name).toBe("ORDERS");
  expect(stream.state.messages).toBe(3);
  expect(stream.consumer_detail[0].name).toBe("C1");
  expect(stream.consumer_detail[0].num_pending).toBe(3);
});

test("/jsz with the real plugin keeps Go's keys and types", async () => {
  const sd = "account_details[].stream_detail[]";
  // Fields of later Go versions that @nats-ts/jetstream reports too.
  const extra = [
    "total", // Go 2.10 JSInfo
    "config.sync_interval", "config.sync_always", // Go 2.10 JetStreamConfig
    `${sd}.config.metadata`, `${sd}.config.compression`, `${sd}.config.consumer_limits`, `${sd}.config.allow_msg_ttl`, // Go 2.10-2.11 StreamConfig
    `${sd}.consumer_detail[].config.metadata`, `${sd}.consumer_detail[].ts`, // Go 2.10-2.11 ConsumerInfo
  ];
  const ours = await get("/jsz?accounts=true&streams=true&consumers=true&config=true");
  expect(shapeDiff(fixture("http-jsz-all").body, ours, { extra })).toEqual([]);
});

test("/varz and /healthz see JetStream running", async () => {
  const v = await get("/varz");
  expect(v.jetstream.stats.api.total).toBeGreaterThanOrEqual(2);
  expect(v.jetstream.config.store_dir).toContain(dir);
  const r = await fetch(`http://127.0.0.1:${monitor.httpPort}/healthz`);
  expect(r.status).toBe(200);
});
