import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startMqtt, type MqttTestServer } from "./helpers.js";

const run = promisify(execFile);

function installed(bin: string): boolean {
  try {
    execFileSync("which", [bin], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// Debian's mosquitto-clients (installed by .ci/run): a second, independent MQTT implementation.
const haveMosquitto = installed("mosquitto_pub") && installed("mosquitto_sub");

describe.skipIf(!haveMosquitto)("mosquitto clients (mosquitto-clients not installed: skipped)", () => {
  let t: MqttTestServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    t = await startMqtt();
    nc = await connect({ servers: t.server.clientURL, reconnect: false });
  });
  afterAll(async () => {
    await nc.close();
    await t.stop();
  });

  test("mosquitto_pub at QoS 0, 1 and 2 reaches NATS subscribers", async () => {
    const sub = nc.subscribe("mosq.pub", { max: 3 });
    await nc.flush();
    for (const qos of ["0", "1", "2"]) {
      await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(t.port), "-V", "mqttv311", "-q", qos, "-t", "mosq/pub", "-m", `q${qos}`]);
    }
    const got: string[] = [];
    for await (const m of sub) got.push(`${m.string()}:${m.headers?.get("Nmqtt-Pub")}`);
    expect(got).toEqual(["q0:0", "q1:1", "q2:2"]);
  });

  test("mosquitto_sub receives NATS messages and retained MQTT messages", async () => {
    await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(t.port), "-V", "mqttv311", "-q", "1", "-r", "-t", "mosq/sub/retained", "-m", "kept"]);
    const child = spawn("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(t.port), "-V", "mqttv311", "-q", "1", "-t", "mosq/sub/#", "-v", "-C", "2"]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    // The retained message arrives first; then a NATS message once the subscription is in place.
    for (let i = 0; i < 100 && !out.includes("kept"); i++) await new Promise((r) => setTimeout(r, 20));
    nc.publish("mosq.sub.live", "from nats");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(out.trim().split("\n")).toEqual(["mosq/sub/retained kept", "mosq/sub/live from nats"]);
  });
});
