import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { afterEach, expect, test } from "vitest";

const BIN = resolve(__dirname, "../bin/nats-ts-server");
let proc: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  if (proc?.exitCode === null) proc.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the executable composes JetStream, monitoring, WebSocket and MQTT from one config file", async () => {
  dir = mkdtempSync(join(tmpdir(), "nats-ts-compose-"));
  const conf = join(dir, "server.conf");
  writeFileSync(
    conf,
    [
      'listen: "127.0.0.1:-1"',
      'http: "127.0.0.1:-1"',
      `jetstream { store_dir: "${join(dir, "js")}" }`,
      "websocket { host: 127.0.0.1, port: -1, no_tls: true }",
      "mqtt { host: 127.0.0.1, port: -1 }",
      `ports_file_dir: "${dir}"`,
    ].join("\n"),
  );
  proc = spawn(BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const portsFile = join(dir, `nats-ts-server_${proc.pid}.ports`);
  for (let i = 0; i < 400 && !existsSync(portsFile); i++) await new Promise((r) => setTimeout(r, 25));
  expect(existsSync(portsFile), stderr).toBe(true);
  const ports = JSON.parse(readFileSync(portsFile, "utf8")) as Record<string, string[]>;
  expect(Object.keys(ports).sort()).toEqual(["monitoring", "mqtt", "nats", "websocket"]);
  // The only warning is Go's own for a plain-text WebSocket listener: every block was taken up.
  expect(stderr.split("\n").filter((l) => l.includes("[WRN]") && !l.includes("Websocket not configured with TLS"))).toEqual([]);

  const nc = await connect({ servers: ports.nats[0], reconnect: false });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  const ack = await jetstream(nc).publish("orders.new", "o-1");
  expect(ack).toMatchObject({ stream: "ORDERS", seq: 1 });

  const varz = (await (await fetch(`${ports.monitoring[0]}/varz`)).json()) as Record<string, unknown>;
  expect(varz.server_id).toBe(nc.info?.server_id);
  const jsz = (await (await fetch(`${ports.monitoring[0]}/jsz`)).json()) as Record<string, unknown>;
  expect(jsz.streams).toBe(1);

  // An MQTT publish reaches a NATS subscriber on the mapped subject.
  const sub = nc.subscribe("sensors.t1", { max: 1 });
  await nc.flush();
  const device = await mqtt.connectAsync(ports.mqtt[0], { clientId: "dev1" });
  await device.publishAsync("sensors/t1", "21.5");
  for await (const m of sub) expect(m.string()).toBe("21.5");
  await device.endAsync();
  await nc.close();

  proc.kill("SIGTERM");
  await new Promise((r) => proc!.once("exit", r));
  expect(proc.exitCode).toBe(0);
});
