import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";

const BIN = resolve(__dirname, "../bin/nats-ts-server");
const children: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "nats-ts-cli-"));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts the executable (optionally through a symlink) and waits for its ports file. */
async function launch(args: string[], exe = BIN): Promise<{ proc: ChildProcess; ports: Record<string, string[]>; portsFile: string; stderr: () => string }> {
  const dir = tempDir();
  const proc = spawn(exe, [...args, "--ports_file_dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const portsFile = join(dir, `${exe.split("/").pop()}_${proc.pid}.ports`);
  const deadline = Date.now() + 10_000;
  while (!existsSync(portsFile)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no ports file; stderr: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { proc, ports: JSON.parse(readFileSync(portsFile, "utf8")), portsFile, stderr: () => err };
}

function exited(proc: ChildProcess): Promise<number | null> {
  return proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((r) => proc.once("exit", (code) => r(code)));
}

describe("nats-ts-server executable", () => {
  test("starts with flags, writes the ports file, serves a real client, exits cleanly on SIGTERM", async () => {
    const { proc, ports, portsFile, stderr } = await launch(["-a", "127.0.0.1", "-p", "-1", "-n", "cli-test"]);
    expect(ports.nats[0]).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: ports.nats[0], reconnect: false });
    expect(nc.info?.server_name).toBe("cli-test");
    const sub = nc.subscribe("cli.>", { max: 1 });
    nc.publish("cli.hello", new TextEncoder().encode("hi"));
    for await (const m of sub) expect(m.string()).toBe("hi");
    await nc.close();
    proc.kill("SIGTERM");
    expect(await exited(proc)).toBe(0);
    expect(existsSync(portsFile)).toBe(false);
    expect(stderr()).toMatch(/^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] Starting nats-server$/m);
    expect(stderr()).toContain("[INF] Server is ready");
  });

  test("the child pid is the server's pid (no forking wrapper) and the ports file follows the invoked name", async () => {
    const dir = tempDir();
    const link = join(dir, "nats-server");
    symlinkSync(BIN, link);
    const { proc, portsFile } = await launch(["-p", "-1", "-a", "127.0.0.1"], link);
    expect(portsFile.endsWith(`nats-server_${proc.pid}.ports`)).toBe(true);
    proc.kill("SIGINT");
    expect(await exited(proc)).toBe(0);
  });

  test("-c with a config file (port -1) and -V trace lines in Go's format", async () => {
    const dir = tempDir();
    const conf = join(dir, "server.conf");
    writeFileSync(conf, 'listen: "127.0.0.1:-1"\nserver_name: from-conf\n');
    const { proc, ports, stderr } = await launch(["-c", conf, "-V"]);
    const nc = await connect({ servers: ports.nats[0], reconnect: false });
    expect(nc.info?.server_name).toBe("from-conf");
    nc.subscribe("traced");
    await nc.flush();
    await nc.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(stderr()).toMatch(/\[TRC\] 127\.0\.0\.1:\d+ - cid:\d+ - <<- \[SUB traced +1\]/);
    proc.kill("SIGTERM");
    await exited(proc);
  });

  test("a restart after SIGKILL rebinds the same port immediately", async () => {
    const first = await launch(["-a", "127.0.0.1", "-p", "-1"]);
    const port = first.ports.nats[0].split(":").pop()!;
    const nc = await connect({ servers: first.ports.nats[0], reconnect: false });
    first.proc.kill("SIGKILL");
    await exited(first.proc);
    await nc.closed();
    const second = await launch(["-a", "127.0.0.1", "-p", port]);
    expect(second.ports.nats[0].endsWith(`:${port}`)).toBe(true);
    second.proc.kill("SIGTERM");
    await exited(second.proc);
  });

  test("-t validates a config file: exit 0 when valid, 1 with file:line:col when not", () => {
    const dir = tempDir();
    const good = join(dir, "good.conf");
    const bad = join(dir, "bad.conf");
    writeFileSync(good, "port: 4222\nmax_payload: 1MB\n");
    writeFileSync(bad, "port: 4222\nmax_payload: [1, 2\n");
    const ok = spawnSync(BIN, ["-t", "-c", good], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("is valid");
    const ko = spawnSync(BIN, ["-t", "-c", bad], { encoding: "utf8" });
    expect(ko.status).toBe(1);
    expect(ko.stderr).toMatch(/bad\.conf:\d+:\d+: /);
  });

  test("unknown flags and bad values exit 1 with Go's flag wording", () => {
    const unknown = spawnSync(BIN, ["--bogus"], { encoding: "utf8" });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("flag provided but not defined: -bogus");
    const badPort = spawnSync(BIN, ["-p", "notaport"], { encoding: "utf8" });
    expect(badPort.status).toBe(1);
    expect(badPort.stderr).toContain('invalid value "notaport" for flag -p');
  });

  test("-v prints the Go-compatible version and nats-ts's own", () => {
    const v = spawnSync(BIN, ["-v"], { encoding: "utf8" });
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^nats-ts-server: v2\.\d+\.\d+ \(nats-ts \d+\.\d+\.\d+\)/);
  });

  test("--user/--pass require credentials", async () => {
    const { proc, ports } = await launch(["-a", "127.0.0.1", "-p", "-1", "--user", "u", "--pass", "p"]);
    await expect(connect({ servers: ports.nats[0], reconnect: false })).rejects.toThrow(/Authorization Violation/);
    const nc = await connect({ servers: ports.nats[0], reconnect: false, user: "u", pass: "p" });
    await nc.close();
    proc.kill("SIGTERM");
    await exited(proc);
  });

  test("SIGUSR2 enters lame duck mode: clients are told (ldm) and the process exits", async () => {
    const dir = tempDir();
    const conf = join(dir, "ldm.conf");
    writeFileSync(conf, 'listen: "127.0.0.1:-1"\nlame_duck_duration: "1s"\nlame_duck_grace_period: "100ms"\n');
    const { proc, ports } = await launch(["-c", conf]);
    const nc = await connect({ servers: ports.nats[0], reconnect: false });
    const ldm = (async () => {
      for await (const s of nc.status()) if (s.type === "ldm") return true;
      return false;
    })();
    proc.kill("SIGUSR2");
    expect(await ldm).toBe(true);
    expect(await exited(proc)).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith(".ports"))).toEqual([]);
  });
});

describe("nats-ts-server executable in a cluster", () => {
  test("--cluster and --routes join two servers; messages cross and /varz and /routez show the route", async () => {
    const a = await launch(["-a", "127.0.0.1", "-p", "-1", "-m", "-1", "--cluster", "nats://127.0.0.1:-1", "--cluster_name", "cli"]);
    const routeUrl = a.ports.cluster[0];
    expect(routeUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const b = await launch(["-a", "127.0.0.1", "-p", "-1", "--cluster", "nats://127.0.0.1:-1", "--cluster_name", "cli", "--routes", routeUrl]);
    const monitor = a.ports.monitoring[0];
    // One remote server, over a pool of 3 route connections plus the pinned $SYS route (Go 2.10+).
    await expect.poll(async () => (await (await fetch(`${monitor}/routez`)).json()).num_routes, { timeout: 10_000 }).toBe(4);
    const varz = await (await fetch(`${monitor}/varz`)).json();
    expect(varz.cluster).toMatchObject({ name: "cli", addr: "127.0.0.1", pool_size: 3 });
    expect(varz.routes).toBe(4);
    expect(varz.remotes).toBe(1);

    const ncA = await connect({ servers: a.ports.nats[0], reconnect: false });
    const ncB = await connect({ servers: b.ports.nats[0], reconnect: false });
    try {
      ncB.subscribe("svc", { callback: (_e, m) => m.respond(new TextEncoder().encode("from B")) });
      await ncB.flush();
      // Interest crosses the route asynchronously: ask until B's responder answers.
      await expect
        .poll(async () => (await ncA.request("svc", undefined, { timeout: 500 }).catch(() => undefined))?.string(), { timeout: 10_000 })
        .toBe("from B");
    } finally {
      await ncA.close();
      await ncB.close();
    }
  });
});
