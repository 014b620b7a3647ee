import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { clusterPlugin } from "../../src/index.js";

/** The Go nats-server to interoperate with (Debian's package, installed by .ci/run). */
export const GO_SERVER_BIN = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";

/** A loopback port free right now (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The port a running in-process server bound for its `cluster` or `leafnode` listener (configured as -1). */
export function listenerPort(server: NatsServer, listener: "cluster" | "leafnode"): number {
  const url = server.listeners[listener]?.[0];
  if (url === undefined) throw new Error(`no ${listener} listener`);
  return Number(new URL(url).port);
}

/** A server of a test topology: nats-ts or Go, in this process or a child. */
export interface TestServer {
  readonly kind: "nats-ts" | "go";
  /** Client port. */
  readonly port: number;
  readonly url: string;
  /** Everything the server logged so far (child processes only). */
  readonly log: () => string;
  stop(): Promise<void>;
}

/** A nats-ts server with the cluster plugin in this process, from conf-file text. */
export async function startInProcess(confText: string): Promise<TestServer & { server: NatsServer }> {
  const { options } = optionsFromConf(parseConf(confText));
  const server = new NatsServer(options, { plugins: [clusterPlugin()] });
  await server.start();
  return {
    kind: "nats-ts",
    server,
    port: server.port,
    url: `nats://127.0.0.1:${server.port}`,
    log: () => "",
    stop: () => server.shutdown(),
  };
}

/** A nats-ts server (built packages) in a child process, from conf-file text. */
export function startChild(confText: string): Promise<TestServer> {
  const script = fileURLToPath(new URL("./child-server.mjs", import.meta.url));
  return spawnServer("nats-ts", process.execPath, (conf) => [script, conf], confText, /READY (\d+)/);
}

/** A Go nats-server child from conf-file text (set `port` in it: the Go server prints it once ready). */
export function startGo(confText: string): Promise<TestServer> {
  return spawnServer("go", GO_SERVER_BIN, (conf) => ["-c", conf, "-D"], confText, /Listening for client connections on [^\s]+:(\d+)/);
}

async function spawnServer(
  kind: TestServer["kind"],
  bin: string,
  args: (conf: string) => string[],
  confText: string,
  ready: RegExp,
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), `cluster-${kind}-`));
  const conf = join(dir, "server.conf");
  writeFileSync(conf, confText);
  const child: ChildProcess = spawn(bin, args(conf), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start:\n${output}`)), 15_000);
    const check = () => {
      const m = ready.exec(output);
      if (m === null) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code}:\n${output}`));
    });
  });
  return {
    kind,
    port,
    url: `nats://127.0.0.1:${port}`,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
