import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";

const BIN = resolve(__dirname, "../bin/nats-ts-server");
const children: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "nats-ts-reload-"));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function launch(args: string[]): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  const dir = tempDir();
  const proc = spawn(BIN, [...args, "--ports_file_dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const portsFile = join(dir, `nats-ts-server_${proc.pid}.ports`);
  const deadline = Date.now() + 10_000;
  // The file may exist a moment before its content is written.
  while (!existsSync(portsFile) || readFileSync(portsFile, "utf8") === "") {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no ports file; stderr: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { proc, url: JSON.parse(readFileSync(portsFile, "utf8")).nats[0], stderr: () => err };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("config reload in the executable", () => {
  test("SIGHUP re-reads the config: a removed user's client is disconnected, an added user can connect", async () => {
    const dir = tempDir();
    const conf = join(dir, "auth.conf");
    writeFileSync(conf, `listen: "127.0.0.1:-1"\nauthorization { users [{user: alice, password: a}, {user: bob, password: b}] }\n`);
    const { proc, url, stderr } = await launch(["-c", conf]);
    const alice = await connect({ servers: url, reconnect: false, user: "alice", pass: "a" });
    const bob = await connect({ servers: url, reconnect: false, user: "bob", pass: "b" });
    writeFileSync(conf, `listen: "127.0.0.1:-1"\nauthorization { users [{user: alice, password: a}, {user: carol, password: c}] }\n`);
    proc.kill("SIGHUP");
    await until(() => bob.isClosed());
    expect(alice.isClosed()).toBe(false);
    const carol = await connect({ servers: url, reconnect: false, user: "carol", pass: "c" });
    await carol.close();
    await alice.close();
    expect(stderr()).toContain('[INF] Trapped "hangup" signal');
    expect(stderr()).toContain("[INF] Reloaded server configuration");
  });

  test("--signal reload=<pid>; a refused change (the port) and an invalid file are logged and the old config kept", async () => {
    const dir = tempDir();
    const conf = join(dir, "server.conf");
    writeFileSync(conf, `listen: "127.0.0.1:-1"\nauthorization { token: abc }\n`);
    const { proc, url, stderr } = await launch(["-c", conf]);
    const port = Number(url.split(":").pop());
    writeFileSync(conf, `listen: "127.0.0.1:${port + 1}"\nauthorization { token: xyz }\n`);
    expect(spawnSync(BIN, ["--signal", `reload=${proc.pid}`]).status).toBe(0);
    await until(() => stderr().includes("Failed to reload server configuration"));
    expect(stderr()).toContain(`[ERR] Failed to reload server configuration: config reload not supported for Port: old=-1, new=${port + 1}`);
    writeFileSync(conf, `listen: "127.0.0.1:-1"\nauthorization { token: [ }\n`);
    proc.kill("SIGHUP");
    await until(() => (stderr().match(/Failed to reload/g) ?? []).length === 2);
    const nc = await connect({ servers: url, reconnect: false, token: "abc" });
    await nc.close();
  });

  test("TLS flags: --tls --tlscert --tlskey serve TLS clients; -t fails on missing certificate files", async () => {
    const dir = tempDir();
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], { cwd: dir, stdio: "ignore" });
    const { url } = await launch(["-a", "127.0.0.1", "-p", "-1", "--tls", "--tlscert", join(dir, "cert.pem"), "--tlskey", join(dir, "key.pem")]);
    const nc = await connect({ servers: url, reconnect: false, tls: { caFile: join(dir, "cert.pem") } });
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
    const missing = spawnSync(BIN, ["-t", "--tls", "--tlscert", join(dir, "nope.pem"), "--tlskey", join(dir, "key.pem")], { encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("nope.pem");
  });

  test("-t reports account configuration errors and exits 1", () => {
    const dir = tempDir();
    const conf = join(dir, "accounts.conf");
    writeFileSync(conf, `accounts { A { imports [{stream: {account: B, subject: foo}}] } }\n`);
    const r = spawnSync(BIN, ["-t", "-c", conf], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`"B" account not defined for stream import`);
  });
});
