// Real-world style nats-server.conf files parsed to the objects the Go server's
// conf package produces for them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { type ConfMap, confPosition, loadConfFile, parseConf } from "../../src/conf/index.js";

const dir = mkdtempSync(join(tmpdir(), "nats-conf-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a clustered server with TLS, route authorization and monitoring", () => {
  const text = `
# Server A of a three node cluster
server_name: n1-c1
listen: 0.0.0.0:4222
http: 127.0.0.1:8222
max_payload: 8MB
max_pending: 64MB
ping_interval: "2m"
write_deadline: 10s
lame_duck_duration: "2m"

tls {
  cert_file: "/etc/nats/certs/server-cert.pem"
  key_file:  "/etc/nats/certs/server-key.pem"
  ca_file:   "/etc/nats/certs/ca.pem"
  verify:    true
  timeout:   2
  cipher_suites: [
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
  ]
  curve_preferences: [ "CurveP256", "X25519" ]
}

cluster {
  name: c1
  listen: 0.0.0.0:6222
  authorization {
    user: route_user
    password: $2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG
    timeout: 0.75
  }
  routes = [
    nats-route://route_user:pwd@n2.example.com:6222
    nats-route://route_user:pwd@n3.example.com:6222
  ]
  compression: { mode: s2_auto, rtt_thresholds: [10ms, 50ms, 100ms] }
  pool_size: 3
}
`;
  expect(parseConf(text, { env: {} })).toEqual({
    server_name: "n1-c1",
    listen: "0.0.0.0:4222",
    http: "127.0.0.1:8222",
    max_payload: 8 * 1024 * 1024,
    max_pending: 64 * 1024 * 1024,
    ping_interval: "2m",
    write_deadline: "10s",
    lame_duck_duration: "2m",
    tls: {
      cert_file: "/etc/nats/certs/server-cert.pem",
      key_file: "/etc/nats/certs/server-key.pem",
      ca_file: "/etc/nats/certs/ca.pem",
      verify: true,
      timeout: 2,
      cipher_suites: ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
      curve_preferences: ["CurveP256", "X25519"],
    },
    cluster: {
      name: "c1",
      listen: "0.0.0.0:6222",
      authorization: {
        user: "route_user",
        password: "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG",
        timeout: 0.75,
      },
      routes: ["nats-route://route_user:pwd@n2.example.com:6222", "nats-route://route_user:pwd@n3.example.com:6222"],
      compression: { mode: "s2_auto", rtt_thresholds: ["10ms", "50ms", "100ms"] },
      pool_size: 3,
    },
  });
});

test("multi-tenant accounts with users, permissions, imports, exports and mappings", () => {
  const text = `
system_account: SYS
no_auth_user: guest

accounts: {
  SYS: { users: [ { user: admin, password: "s3cr3t!" } ] }

  ORDERS: {
    jetstream: enabled
    users: [
      { user: guest, password: guest, permissions: {
          publish: { allow: ["orders.>", "_INBOX.>"], deny: "orders.admin.>" }
          subscribe: ["orders.*.status", "_INBOX.>"]
          allow_responses: { max: 5, expires: "1m" }
      } }
      { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 }
    ]
    exports: [
      { stream: "orders.events.>" }
      { service: "orders.lookup", accounts: [BILLING], response: singleton }
    ]
    mappings: {
      "orders.new": [
        { destination: "orders.new.v1", weight: 80% }
        { destination: "orders.new.v2", weight: 20% }
      ]
      "legacy.*.*": "orders.{{wildcard(2)}}.{{wildcard(1)}}"
    }
    limits: { max_connections: 100, max_subscriptions: 1k, max_payload: 1MB }
  }

  BILLING: {
    users: [ { user: billing, password: b } ]
    imports: [
      { service: { account: ORDERS, subject: "orders.lookup" }, to: "lookup" }
      { stream: { account: ORDERS, subject: "orders.events.>" }, prefix: from_orders }
    ]
  }
}
`;
  const conf = parseConf(text, { env: {} });
  expect(conf).toEqual({
    system_account: "SYS",
    no_auth_user: "guest",
    accounts: {
      SYS: { users: [{ user: "admin", password: "s3cr3t!" }] },
      ORDERS: {
        jetstream: "enabled",
        users: [
          {
            user: "guest",
            password: "guest",
            permissions: {
              publish: { allow: ["orders.>", "_INBOX.>"], deny: "orders.admin.>" },
              subscribe: ["orders.*.status", "_INBOX.>"],
              allow_responses: { max: 5, expires: "1m" },
            },
          },
          { nkey: "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4" },
        ],
        exports: [
          { stream: "orders.events.>" },
          { service: "orders.lookup", accounts: ["BILLING"], response: "singleton" },
        ],
        mappings: {
          "orders.new": [
            { destination: "orders.new.v1", weight: "80%" },
            { destination: "orders.new.v2", weight: "20%" },
          ],
          "legacy.*.*": "orders.{{wildcard(2)}}.{{wildcard(1)}}",
        },
        limits: { max_connections: 100, max_subscriptions: 1000, max_payload: 1024 * 1024 },
      },
      BILLING: {
        users: [{ user: "billing", password: "b" }],
        imports: [
          { service: { account: "ORDERS", subject: "orders.lookup" }, to: "lookup" },
          { stream: { account: "ORDERS", subject: "orders.events.>" }, prefix: "from_orders" },
        ],
      },
    },
  });
  const orders = (conf.accounts as ConfMap).ORDERS as ConfMap;
  const limitsLine = text.split("\n").findIndex((line) => line.startsWith("    limits:")) + 1;
  expect(confPosition(orders, "limits")).toEqual({ file: "", line: limitsLine, column: 5 });
});

test("JetStream, leaf nodes, websocket and MQTT split over included files with env secrets", () => {
  writeFileSync(
    join(dir, "jetstream.conf"),
    `jetstream {
  store_dir: "/data/jetstream"
  max_memory_store: 2G
  max_file_store: 1TB
  domain: hub
  sync_interval: always
  limits { max_ack_pending: 10000, duplicate_window: "2m" }
}
`,
  );
  writeFileSync(
    join(dir, "nats.conf"),
    `port: 4222
include ./jetstream.conf

leafnodes {
  remotes = [
    { urls: ["nats-leaf://hub.example.com:7422"], credentials: "/etc/nats/leaf.creds", account: APP }
  ]
}

websocket { port: 8443, no_tls: true, compression: true, same_origin: false, allowed_origins: ["https://app.example.com"] }
mqtt { port: 1883, ack_wait: "30s", max_ack_pending: 100 }

authorization { token: $NATS_TOKEN }
`,
  );
  const conf = loadConfFile(join(dir, "nats.conf"), { env: { NATS_TOKEN: "'t0k3n with spaces'" } });
  expect(conf).toEqual({
    port: 4222,
    jetstream: {
      store_dir: "/data/jetstream",
      max_memory_store: 2_000_000_000,
      max_file_store: 1024 ** 4,
      domain: "hub",
      sync_interval: "always",
      limits: { max_ack_pending: 10000, duplicate_window: "2m" },
    },
    leafnodes: {
      remotes: [
        { urls: ["nats-leaf://hub.example.com:7422"], credentials: "/etc/nats/leaf.creds", account: "APP" },
      ],
    },
    websocket: {
      port: 8443,
      no_tls: true,
      compression: true,
      same_origin: false,
      allowed_origins: ["https://app.example.com"],
    },
    mqtt: { port: 1883, ack_wait: "30s", max_ack_pending: 100 },
    authorization: { token: "t0k3n with spaces" },
  });
  expect(confPosition(conf, "jetstream")).toEqual({ file: join(dir, "jetstream.conf"), line: 1, column: 1 });
});

test("a gateway super-cluster node written as JSON", () => {
  const text = `{
  "server_name": "gw-a-1",
  "port": -1,
  "gateway": {
    "name": "A",
    "listen": "127.0.0.1:-1",
    "gateways": [
      {"name": "A", "urls": ["nats://127.0.0.1:7222"]},
      {"name": "B", "urls": ["nats://127.0.0.1:7223", "nats://127.0.0.1:7224"]}
    ],
    "reject_unknown_cluster": true
  },
  "debug": false,
  "trace": false,
  "logtime": true
}
`;
  expect(parseConf(text, { env: {} })).toEqual({
    server_name: "gw-a-1",
    port: -1,
    gateway: {
      name: "A",
      listen: "127.0.0.1:-1",
      gateways: [
        { name: "A", urls: ["nats://127.0.0.1:7222"] },
        { name: "B", urls: ["nats://127.0.0.1:7223", "nats://127.0.0.1:7224"] },
      ],
      reject_unknown_cluster: true,
    },
    debug: false,
    trace: false,
    logtime: true,
  });
});
