// Records the Go nats-server's monitoring JSON and $SYS messages as test fixtures.
// Usage: node scripts/record-go-fixtures.mjs [path-to-nats-server]
// Writes test/fixtures/go/*.json. Re-run when upgrading the reference server.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { connect } from "@nats-io/transport-node";

const bin = process.argv[2] ?? "/usr/sbin/nats-server";
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "go");
const dir = mkdtempSync(join(tmpdir(), "gofix-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const httpPort = await freePort();
const conf = join(dir, "server.conf");
writeFileSync(
  conf,
  `port: ${port}
http_port: ${httpPort}
server_name: gofix
server_tags: ["region:test"]
jetstream { store_dir: "${join(dir, "js")}" }
accounts {
  SYS { users [{ user: sys, password: sys }] }
  APP { users [{ user: app, password: app }], jetstream: enabled }
}
system_account: SYS
`,
);
const proc = spawn(bin, ["-c", conf], { stdio: ["ignore", "inherit", "inherit"] });
await sleep(700);

const saved = {};
function save(name, value) {
  saved[name] = value;
  writeFileSync(join(out, `${name}.json`), JSON.stringify(value, null, 2) + "\n");
}
async function http(path) {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`);
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, text };
  }
}

const url = `nats://127.0.0.1:${port}`;
const sys = await connect({ servers: url, user: "sys", pass: "sys", name: "sys-watcher" });
const events = [];
sys.subscribe("$SYS.>", {
  callback: (_err, m) => {
    let data;
    try { data = m.json(); } catch { data = m.string(); }
    events.push({ subject: m.subject, data });
  },
});
await sys.flush();

const app = await connect({ servers: url, user: "app", pass: "app", name: "app-client" });
app.subscribe("foo.*");
app.subscribe("bar", { queue: "workers" });
for (let i = 0; i < 5; i++) app.publish("foo.x", "hello");
await app.flush();
// A stream and a consumer so /jsz has detail to show.
const jr = (subj, body) => app.request(subj, JSON.stringify(body)).then((m) => m.json());
save("js-stream-create", await jr("$JS.API.STREAM.CREATE.ORDERS", { name: "ORDERS", subjects: ["orders.>"], storage: "file" }));
for (let i = 0; i < 3; i++) await app.request("orders.new", "o").catch(() => {});
save("js-consumer-create", await jr("$JS.API.CONSUMER.CREATE.ORDERS.C1", { stream_name: "ORDERS", config: { durable_name: "C1", ack_policy: "explicit" } }));

const closer = await connect({ servers: url, user: "app", pass: "app", name: "short-lived" });
await closer.close();
try {
  await connect({ servers: url, user: "app", pass: "wrong", reconnect: false, maxReconnectAttempts: 0 });
} catch {}
await sleep(300);

const paths = {
  varz: "/varz",
  connz: "/connz",
  "connz-detail": "/connz?subs=detail&auth=true",
  "connz-subs": "/connz?subs=1",
  "connz-closed": "/connz?state=closed&subs=1&auth=1",
  "connz-bad-sort": "/connz?sort=foo",
  "connz-bad-state": "/connz?state=foo",
  "connz-bad-limit": "/connz?limit=x",
  "connz-bad-subs": "/connz?subs=x",
  "connz-bad-cid": "/connz?cid=-1",
  "connz-stop-open": "/connz?sort=stop",
  "connz-reason-open": "/connz?sort=reason",
  subsz: "/subsz",
  "subsz-detail": "/subsz?subs=1",
  "subsz-bad-test": "/subsz?subs=1&test=foo.*",
  routez: "/routez",
  gatewayz: "/gatewayz",
  leafz: "/leafz",
  accountz: "/accountz",
  "accountz-app": "/accountz?acc=APP",
  accstatz: "/accstatz",
  "accstatz-unused": "/accstatz?unused=1",
  jsz: "/jsz",
  "jsz-all": "/jsz?accounts=true&streams=true&consumers=true&config=true",
  "jsz-acc": "/jsz?acc=APP&streams=1",
  healthz: "/healthz",
  "healthz-js-enabled": "/healthz?js-enabled-only=true",
  "healthz-js-server": "/healthz?js-server-only=true",
  "varz-jsonp": "/varz?callback=cb",
  root: "/",
  missing: "/nope",
};
for (const [name, path] of Object.entries(paths)) save(`http-${name}`, { path, ...(await http(path)) });

const req = async (subject, body = "") => {
  try {
    const m = await sys.request(subject, body, { timeout: 1000 });
    return m.json();
  } catch (e) {
    return { error: String(e) };
  }
};
const info = (await http("/varz")).body;
const id = info.server_id;
for (const ep of ["STATSZ", "VARZ", "CONNZ", "SUBSZ", "JSZ", "HEALTHZ", "ACCOUNTZ", "IDZ", "ROUTEZ", "GATEWAYZ", "LEAFZ", "PROFILEZ"]) {
  save(`sys-ping-${ep.toLowerCase()}`, await req(`$SYS.REQ.SERVER.PING.${ep}`));
}
save("sys-ping", await req("$SYS.REQ.SERVER.PING"));
save("sys-server-connz-opts", await req(`$SYS.REQ.SERVER.${id}.CONNZ`, JSON.stringify({ subscriptions: true, auth: true, limit: 1 })));
save("sys-server-connz-bad", await req(`$SYS.REQ.SERVER.${id}.CONNZ`, "{bad json"));
save("sys-server-connz-bad-sort", await req(`$SYS.REQ.SERVER.${id}.CONNZ`, JSON.stringify({ sort: "nope" })));
for (const ep of ["CONNZ", "SUBSZ", "INFO", "JSZ", "LEAFZ", "CONNS", "STATZ"]) {
  save(`sys-account-${ep.toLowerCase()}`, await req(`$SYS.REQ.ACCOUNT.APP.${ep}`));
}
save("sys-account-ping-connz", await req("$SYS.REQ.ACCOUNT.PING.CONNZ", JSON.stringify({ account: "APP" })));
save("sys-account-ping-statz", await req("$SYS.REQ.ACCOUNT.PING.STATZ", JSON.stringify({ accounts: ["APP"] })));
save("sys-user-info", await req("$SYS.REQ.USER.INFO"));
await sleep(200);

await app.close();
await sleep(300);
proc.kill("SIGTERM");
await sleep(500);
save("sys-events", events);
await sys.close().catch(() => {});

// A plain server (no config, no JetStream): the shapes every embedded nats-ts starts with.
const plainPort = await freePort();
const plainHttp = await freePort();
const plain = spawn(bin, ["-p", String(plainPort), "-m", String(plainHttp)], { stdio: ["ignore", "ignore", "ignore"] });
await sleep(500);
const pc = await connect({ servers: `nats://127.0.0.1:${plainPort}`, name: "plain" });
pc.subscribe("a.b");
await pc.flush();
for (const [name, path] of Object.entries({
  varz: "/varz",
  jsz: "/jsz",
  "jsz-accounts": "/jsz?accounts=1",
  "healthz-js-enabled": "/healthz?js-enabled-only=true",
  accountz: "/accountz",
  "accountz-g": "/accountz?acc=$G",
  "accountz-missing": "/accountz?acc=NOPE",
  "connz-auth": "/connz?auth=1&subs=1",
  accstatz: "/accstatz",
})) {
  const res = await fetch(`http://127.0.0.1:${plainHttp}${path}`);
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch {}
  save(`plain-${name}`, body === undefined ? { path, status: res.status, text } : { path, status: res.status, body });
}
await pc.close();
plain.kill("SIGTERM");
await sleep(200);
rmSync(dir, { recursive: true, force: true });
console.log(`recorded ${Object.keys(saved).length} fixtures, ${events.length} events`);
process.exit(0);
