// Pub/sub 1:1, 128-byte messages: nats-ts over WebSocket, nats-ts over TCP and the Go
// nats-server's WebSocket listener, in one run, with the ratios. A benchmark, not a test.
//
//   pnpm --filter @nats-ts/ws build && node packages/ws/bench/pubsub.mjs [--count 200000] [--compression]
//
// Servers run in their own processes; publisher and subscriber are nats.js clients in this one.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wsconnect } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { WebSocket } from "ws";

globalThis.WebSocket ??= WebSocket;

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg("--count", 200_000);
const SIZE = 128;
const ROUNDS = arg("--rounds", 3);
const compression = process.argv.includes("--compression");
const goBin = process.env.NATS_SERVER_BIN ?? "nats-server";

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startNatsTs() {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./server.mjs", import.meta.url)), ...(compression ? ["--compression"] : [])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.split("\n")[0]);
    });
    child.once("exit", (code) => reject(new Error(`nats-ts server exited with ${code}`)));
  });
  return { ...JSON.parse(line), stop: () => child.kill("SIGTERM") };
}

async function startGo() {
  try {
    execFileSync(goBin, ["--version"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const [port, wsPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "nats-ws-bench-"));
  const conf = join(dir, "ws.conf");
  writeFileSync(conf, `listen: "127.0.0.1:${port}"\nwebsocket { listen: "127.0.0.1:${wsPort}"\nno_tls: true\ncompression: ${compression} }\n`);
  const child = spawn(goBin, ["-c", conf], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false });
      await nc.close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    ws: `ws://127.0.0.1:${wsPort}`,
    stop: () => {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Messages per second from the first publish to the last delivery. */
async function pubsub(open) {
  const sub = await open();
  const pub = await open();
  const payload = new Uint8Array(SIZE).fill(97);
  let received = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  sub.subscribe("bench", {
    callback: () => {
      if (++received === COUNT) resolveDone();
    },
  });
  await sub.flush();
  const start = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) {
    pub.publish("bench", payload);
    if (i % 1000 === 999) await pub.flush();
  }
  await done;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await pub.close();
  await sub.close();
  return COUNT / secs;
}


const fmt = (n) => `${Math.round(n).toLocaleString("en-US")} msgs/s`;
const natsTs = await startNatsTs();
const go = await startGo();
try {
  const contenders = {
    "nats-ts WebSocket": () => wsconnect({ servers: natsTs.ws, reconnect: false }),
    "nats-ts TCP": () => connect({ servers: natsTs.tcp, reconnect: false }),
  };
  if (go) contenders["Go nats-server WebSocket"] = () => wsconnect({ servers: go.ws, reconnect: false });
  // Rounds interleave the contenders so a busy moment of the machine does not favour one.
  // One unmeasured round each first: the Node server (and the clients) reach steady state.
  for (const open of Object.values(contenders)) await pubsub(open);
  const results = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, open] of Object.entries(contenders)) results[name] = Math.max(results[name] ?? 0, await pubsub(open));
  }
  console.log(`pub/sub 1:1, ${SIZE} B, ${COUNT} messages, best of ${ROUNDS} after a warm-up round${compression ? ", compression on" : ""}`);
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(26)} ${fmt(v)}`);
  const ws = results["nats-ts WebSocket"];
  console.log(`  nats-ts WebSocket / nats-ts TCP:          ${(ws / results["nats-ts TCP"]).toFixed(2)}`);
  if (go) console.log(`  nats-ts WebSocket / Go WebSocket:         ${(ws / results["Go nats-server WebSocket"]).toFixed(2)}`);
  else console.log(`  (Go nats-server not found: set NATS_SERVER_BIN to compare)`);
} finally {
  natsTs.stop();
  go?.stop();
}
