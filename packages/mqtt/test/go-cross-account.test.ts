import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, test } from "vitest";
import { eventually, RawMqtt, startMqttFromConf } from "./helpers.js";
import { expectPub, flush, publish, sub } from "./raw-steps.js";

const conf = (importTransform: string) => `
  server_name: server
  listen: "127.0.0.1:-1"
  jetstream { domain: "MYDOMAIN", store_dir: "%STORE%" }
  mqtt { listen: "127.0.0.1:-1" }
  accounts: {
    A: {
      jetstream: true
      users: [ { user: a, password: x } ]
      exports: [
        { stream: "foo.>" }
        { service: "$JS.API.>", response_type: stream }
        { stream: "a2b.>" }
      ]
    }
    B: {
      jetstream: true
      users: [ { user: b, password: x } ]
      imports: [
        { stream: { account: A, subject: "foo.>" }${importTransform} }
        { service: { account: A, subject: "$JS.API.>" }, to: "A.$JS.API.>" }
        { stream: { account: A, subject: "a2b.>" } }
      ]
    }
  }
`;

describe("Go mqtt_test.go: retained messages across accounts", () => {
  for (const c of [
    { name: "without transform", importTransform: "", sourceDest: "", bDest: "foo/x", lastSubject: "$MQTT.rmsgs.foo.x" },
    { name: "with transform", importTransform: `, to: "foobar.>"`, sourceDest: "$MQTT.rmsgs.foobar.>", bDest: "foobar/x", lastSubject: "$MQTT.rmsgs.foobar.x" },
  ]) {
    test(`TestMQTTCrossAccountRetain: ${c.name}: B's retained stream sourcing A's follows A's retained messages, removals included`, async () => {
      const t = await startMqttFromConf(conf(c.importTransform));
      const nc = await connect({ servers: t.server.clientURL, user: "b", pass: "x" });
      try {
        const as = (user: string, clientId = "") => RawMqtt.connected(t.port, { clientId, username: user, password: Buffer.from("x") });
        (await as("b")).end(); // B's MQTT streams
        const pubRetained = async (user: string, topic: string, msg: string) => {
          const p = await as(user);
          await publish(p, 0, topic, 0, msg, true);
          await flush(p);
          p.end();
        };
        const getRetained = async (user: string, filter: string, msg: string) => {
          const s = await as(user);
          await sub(s, [[filter, 0]], [0]);
          if (msg === "") await s.expectNothing(150);
          else await expectPub(s, filter, 0, msg, false, true);
          s.end();
        };
        await pubRetained("a", "foo/x", "Retain in A");
        // B's retained messages stream sources A's, through A's JetStream API imported in B.
        const jsm = await jetstreamManager(nc);
        const si = await jsm.streams.info("$MQTT_rmsgs");
        si.config.sources = [
          {
            name: "$MQTT_rmsgs",
            external: { api: "A.$JS.API", deliver: "a2b" },
            subject_transforms: [{ src: "$MQTT.rmsgs.foo.>", dest: c.sourceDest }],
          },
        ];
        await jsm.streams.update("$MQTT_rmsgs", si.config);
        await eventually(async () => (await jsm.streams.getMessage("$MQTT_rmsgs", { last_by_subj: c.lastSubject }).catch(() => null))?.string().includes("Retain in A") === true);

        await getRetained("a", "foo/x", "Retain in A");
        await eventually(async () => {
          const s = await as("b");
          s.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: c.bDest, qos: 0 }] });
          await s.next();
          const got = await s.next(200).then((p) => p.cmd === "publish" && p.payload.toString() === "Retain in A", () => false);
          s.end();
          return got;
        });
        await getRetained("b", c.bDest, "Retain in A");

        await pubRetained("b", c.bDest, "Retain in B");
        await getRetained("b", c.bDest, "Retain in B");
        await getRetained("a", "foo/x", "Retain in A");

        await pubRetained("a", "foo/x", "Retain in A2");
        await getRetained("a", "foo/x", "Retain in A2");
        await eventually(async () => (await jsm.streams.getMessage("$MQTT_rmsgs", { last_by_subj: c.lastSubject }).catch(() => null))?.string() === "Retain in A2");
        await getRetained("b", c.bDest, "Retain in A2");

        // An empty retained message from A removes it in A and, through the source, in B: the
        // removal marker is deleted from B's stream too.
        await pubRetained("a", "foo/x", "");
        await eventually(async () => (await jsm.streams.getMessage("$MQTT_rmsgs", { last_by_subj: c.lastSubject }).catch(() => null)) === null, 5000);
        await getRetained("a", "foo/x", "");
        await getRetained("b", c.bDest, "");
      } finally {
        await nc.close();
        await t.stop();
      }
    });
  }
});

describe("Go mqtt_test.go: subject mappings and imports", () => {
  test("TestMQTTMappingsQoS0: an account's mapping and other accounts' stream imports deliver to QoS 0 subscribers on the mapped topics", async () => {
    const t = await startMqttFromConf(`
      server_name: server
      jetstream { domain: "A", store_dir: "%STORE%" }
      mqtt { listen: "127.0.0.1:-1" }
      accounts: {
        A: {
          jetstream: true
          users: [ { user: a, password: x } ]
          exports: [ { stream: "foo.>" } ]
          mappings: { "baz.>": "bazz.>" }
        }
        B: {
          jetstream: true
          users: [ { user: b, password: x } ]
          imports: [ { stream: { account: A, subject: "foo.>" }, to: "bar.>" } ]
        }
        C: {
          jetstream: true
          users: [ { user: c, password: x } ]
          imports: [ { stream: { account: A, subject: "foo.>" }, to: "baz.>" } ]
        }
        D: {
          jetstream: true
          users: [ { user: d, password: x } ]
          imports: [ { stream: { account: A, subject: "foo.>" }, to: "baz.>" } ]
        }
      }
    `);
    const open: RawMqtt[] = [];
    try {
      const as = async (user: string) => {
        const c = await RawMqtt.connected(t.port, { clientId: "", username: user, password: Buffer.from("x") });
        open.push(c);
        return c;
      };
      const createSub = async (user: string, filter: string) => {
        const c = await as(user);
        await sub(c, [[filter, 0]], [0]);
        await flush(c);
        return c;
      };
      const aSub = await createSub("a", "#");
      const aPub = await as("a");
      await publish(aPub, 0, "baz/x", 0, "msg1", true);
      // The mapping inside account A: the message arrives on "bazz/x".
      await expectPub(aSub, "bazz/x", 0, "msg1");
      const bSubs = [await createSub("b", "bar/#"), await createSub("b", "bar/+")];
      const cdSubs = [await createSub("c", "baz/#"), await createSub("c", "baz/+"), await createSub("d", "baz/#"), await createSub("d", "baz/+")];
      await publish(aPub, 0, "foo/x", 0, "msg2", true);
      await publish(aPub, 0, "foo/x", 0, "msg3", true);
      for (const [subs, topic] of [
        [bSubs, "bar/x"],
        [cdSubs, "baz/x"],
      ] as const) {
        for (const c of subs) {
          await expectPub(c, topic, 0, "msg2");
          await expectPub(c, topic, 0, "msg3");
          await c.expectNothing(100);
        }
      }
    } finally {
      for (const c of open) c.end();
      await t.stop();
    }
  });
});
