import { describe, expect, test } from "vitest";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { apiRequest, serverStream, startJs, startJsFromConf, type ConfJsServer } from "../helpers.js";

async function client(t: ConfJsServer, user: string, pass: string): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: t.server.clientURL, user, pass, reconnect: false });
  return { nc, jsm: await jetstreamManager(nc, { checkAPI: false }) };
}

async function publishAll(nc: NatsConnection, subject: string, n: number): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => js.publish(subject, "OK")));
  }
}

const expectMsgs = (jsm: JetStreamManager, stream: string, n: number, timeout = 10_000) =>
  expect.poll(async () => (await jsm.streams.info(stream)).state.messages, { timeout, interval: 50 }).toBe(n);

const IMPORT_CONF = `
  listen: 127.0.0.1:-1
  jetstream: {store_dir: '%STORE%'}
  accounts {
    JS { jetstream: enabled, users = [ { user: "rip", pass: "pass" } ], exports [ { stream: "RI.DELIVER.>" } ] }
    IA { users = [ { user: "dlc", pass: "pass" } ], imports [ { stream: { account: JS, subject: "RI.DELIVER.>"} } ] }
  }
`;

describe("external mirrors and sources across accounts", () => {
  test("a push consumer's deliveries cross a stream import on the deliver subject, showing the stream subject", async () => {
    const t = await startJsFromConf(IMPORT_CONF);
    const rip = await client(t, "rip", "pass");
    const dlc = await connect({ servers: t.server.clientURL, user: "dlc", pass: "pass", reconnect: false });
    try {
      await rip.jsm.streams.add({ name: "P", subjects: ["p"] });
      await jetstream(rip.nc).publish("p", "x");
      const got = new Promise<string>((resolve) => dlc.subscribe("RI.DELIVER.probe", { max: 1, callback: (_e, m) => resolve(m.subject) }));
      await dlc.flush();
      await rip.jsm.consumers.add("P", { name: "probe", deliver_subject: "RI.DELIVER.probe" });
      expect(await got).toBe("p");
    } finally {
      await Promise.all([rip.nc.close(), dlc.close()]);
      await t.stop();
    }
  });

  test("TestJetStreamClusterCrossAccountMirrorsAndSources: a mirror and a source of another account's stream through API and deliver imports", async () => {
    const t = await startJsFromConf(`
      listen: 127.0.0.1:-1
      jetstream: {max_mem_store: 2GB, max_file_store: 2GB, store_dir: '%STORE%'}
      no_auth_user: dlc
      accounts {
        JS {
          jetstream: enabled
          users = [ { user: "rip", pass: "pass" } ]
          exports [
            { service: "$JS.API.CONSUMER.>" }
            { stream: "RI.DELIVER.SYNC.>" }
            { service: "$JS.FC.>" }
          ]
        }
        IA {
          jetstream: enabled
          users = [ { user: "dlc", pass: "pass" } ]
          imports [
            { service: { account: JS, subject: "$JS.API.CONSUMER.>"}, to: "RI.JS.API.CONSUMER.>" }
            { stream: { account: JS, subject: "RI.DELIVER.SYNC.>"} }
            { service: {account: JS, subject: "$JS.FC.>" }}
          ]
        }
        $SYS { users = [ { user: "admin", pass: "s3cr3t!" } ] }
      }
    `);
    const rip = await client(t, "rip", "pass");
    const dlc = await client(t, "dlc", "pass");
    try {
      await rip.jsm.streams.add({ name: "TEST", subjects: ["TEST"] });
      // Enough to need several flow control rounds.
      const toSend = 3000;
      await publishAll(rip.nc, "TEST", toSend);

      const mirror = await dlc.jsm.streams.add({
        name: "MY_MIRROR_TEST",
        mirror: { name: "TEST", external: { api: "RI.JS.API", deliver: "RI.DELIVER.SYNC.MIRRORS" } },
      });
      expect(mirror.config.mirror?.external).toEqual({ api: "RI.JS.API", deliver: "RI.DELIVER.SYNC.MIRRORS" });
      await expectMsgs(dlc.jsm, "MY_MIRROR_TEST", toSend, 20_000);

      await dlc.jsm.streams.add({
        name: "MY_SOURCE_TEST",
        sources: [{ name: "TEST", external: { api: "RI.JS.API", deliver: "RI.DELIVER.SYNC.SOURCES" } }],
      });
      await expectMsgs(dlc.jsm, "MY_SOURCE_TEST", toSend, 20_000);

      // Both keep following the origin, and report where they read from.
      await publishAll(rip.nc, "TEST", 10);
      await expectMsgs(dlc.jsm, "MY_MIRROR_TEST", toSend + 10);
      await expectMsgs(dlc.jsm, "MY_SOURCE_TEST", toSend + 10);
      const mi = await dlc.jsm.streams.info("MY_MIRROR_TEST");
      expect(mi.mirror).toMatchObject({ name: "TEST", lag: 0, external: { api: "RI.JS.API", deliver: "RI.DELIVER.SYNC.MIRRORS" } });
      expect(mi.state).toMatchObject({ first_seq: 1, last_seq: toSend + 10 });
      const src = await dlc.jsm.streams.getMessage("MY_SOURCE_TEST", { seq: 5 });
      expect(src?.header.get("Nats-Stream-Source")).toMatch(/^TEST:[0-9A-Za-z]{8} 5 > > TEST$/);
    } finally {
      await Promise.all([rip.nc.close(), dlc.nc.close()]);
      await t.stop();
    }
  });

  test("TestJetStreamMirrorCrossAccountWithFilteredSubjectAndSubjectTransform", async () => {
    const t = await startJsFromConf(`
      listen: "127.0.0.1:-1"
      jetstream: {store_dir: "%STORE%"}
      accounts: {
        PUBLIC_ACCOUNT: {
          jetstream: enabled
          exports: [
            { service: "$JS.API.CONSUMER.CREATE.S.*.public.a", response_type: stream, accounts: ["INTERNAL_ACCOUNT"] },
            { service: "$JS.API.CONSUMER.CREATE.S.*.public.b", response_type: stream, accounts: ["INTERNAL_ACCOUNT"] },
            { service: "$JS.API.CONSUMER.CREATE.S.*.public.c", response_type: stream, accounts: ["INTERNAL_ACCOUNT"] },
            { service: "$JS.FC.>" },
            { stream: "shared.public.>", accounts: ["INTERNAL_ACCOUNT"] }
          ]
          users: [ {user: "public", password: "pwd"} ]
        },
        INTERNAL_ACCOUNT: {
          jetstream: enabled
          imports: [
            { service: { account: "PUBLIC_ACCOUNT", subject: "$JS.API.CONSUMER.CREATE.S.*.public.a" }, to: "JS.PUBLIC_ACCOUNT.CONSUMER.CREATE.S.*.public.a" },
            { service: { account: "PUBLIC_ACCOUNT", subject: "$JS.API.CONSUMER.CREATE.S.*.public.b" }, to: "JS.PUBLIC_ACCOUNT.CONSUMER.CREATE.S.*.public.b" },
            { service: { account: "PUBLIC_ACCOUNT", subject: "$JS.API.CONSUMER.CREATE.S.*.public.c" }, to: "JS.PUBLIC_ACCOUNT.CONSUMER.CREATE.S.*.public.c" },
            { service: { account: "PUBLIC_ACCOUNT", subject: "$JS.FC.>" }, to: "$JS.FC.>" },
            { stream: { account: "PUBLIC_ACCOUNT", subject: "shared.public.>" }, to: "shared.public.>" }
          ]
          users: [ {user: "internal", password: "pwd"} ]
        }
      }
    `);
    let pub = await client(t, "public", "pwd");
    let int = await client(t, "internal", "pwd");
    try {
      await pub.jsm.streams.add({ name: "S", subjects: ["public.>"] });
      const add = (name: string, mirror: Record<string, unknown>) =>
        int.jsm.streams.add({ name, mirror: { name: "S", external: { api: "JS.PUBLIC_ACCOUNT", deliver: "shared.public" }, ...mirror } });
      const checkMsg = async (stream: string, subject: string, seq: number) => {
        expect((await int.jsm.streams.getMessage(stream, { seq }))?.subject).toBe(subject);
      };

      // Just a subject filter.
      await add("M1", { filter_subject: "public.a" });
      pub.nc.publish("public.a", "hello");
      await expectMsgs(int.jsm, "M1", 1);
      // An equivalent subject transform (no destination).
      await add("M2", { subject_transforms: [{ src: "public.b", dest: "" }] });
      pub.nc.publish("public.b", "hello");
      await expectMsgs(int.jsm, "M2", 1);
      // A transform with a destination.
      await add("M3", { subject_transforms: [{ src: "public.c", dest: "public.d" }] });
      pub.nc.publish("public.c", "hello");
      await expectMsgs(int.jsm, "M3", 1);
      await checkMsg("M1", "public.a", 1);
      await checkMsg("M2", "public.b", 2);
      await checkMsg("M3", "public.d", 3);

      await Promise.all([pub.nc.close(), int.nc.close()]);
      await t.restart();
      pub = await client(t, "public", "pwd");
      int = await client(t, "internal", "pwd");
      for (const m of ["M1", "M2", "M3"]) await expectMsgs(int.jsm, m, 1);
      await checkMsg("M1", "public.a", 1);
      await checkMsg("M2", "public.b", 2);
      await checkMsg("M3", "public.d", 3);
      // After the restart they set up their consumers again and keep following.
      pub.nc.publish("public.a", "again");
      await expectMsgs(int.jsm, "M1", 2);
      await checkMsg("M1", "public.a", 4);
    } finally {
      await Promise.all([pub.nc.close(), int.nc.close()]);
      await t.stop();
    }
  });

});

describe("external mirrors and sources", () => {
  test("an external source over this server's own domain prefix, resumed without duplicates after a restart", async () => {
    const t = await startJs({ jetstream: { domain: "hub" } });
    try {
      await t.jsm.streams.add({ name: "ORIGIN", subjects: ["o.>"] });
      for (let i = 0; i < 5; i++) await t.js.publish(`o.${i}`, "x");
      await t.jsm.streams.add({ name: "AGG", subjects: ["agg"], sources: [{ name: "ORIGIN", external: { api: "$JS.hub.API", deliver: "" } }] });
      await expectMsgs(t.jsm, "AGG", 5);
      await t.restart();
      for (let i = 5; i < 8; i++) await t.js.publish(`o.${i}`, "x");
      await expectMsgs(t.jsm, "AGG", 8);
      const seqs = [];
      for (let s = 1; s <= 8; s++) seqs.push((await t.jsm.streams.getMessage("AGG", { seq: s }))?.header.get("Nats-Stream-Source").split(" ")[1]);
      expect(seqs).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
      // The origin has one consumer, not one left behind by the restart (direct consumers are not
      // kept); like Go, CONSUMER.NAMES and LIST leave it out.
      expect(serverStream(t, "ORIGIN")?.consumers?.names()).toEqual([expect.stringMatching(/^JS_SRC_/)]);
      expect((await apiRequest(t.nc, "$JS.API.CONSUMER.NAMES.ORIGIN")).consumers).toEqual([]);
      expect((await apiRequest(t.nc, "$JS.API.CONSUMER.LIST.ORIGIN")).total).toBe(0);

      // Junk on the deliver subject (no reply, foreign or malformed ack replies, odd status lines) is ignored.
      const name = serverStream(t, "ORIGIN")!.consumers!.names()[0];
      const deliver = (await apiRequest(t.nc, `$JS.API.CONSUMER.INFO.ORIGIN.${name}`)).config.deliver_subject as string;
      t.nc.publish(deliver, "junk");
      t.nc.publish(deliver, "junk", { reply: "$JS.ACK.ORIGIN.other.1.9.9.1.0" });
      t.nc.publish(deliver, "junk", { reply: `$JS.ACK.ORIGIN.${name}.x.y.z` });
      t.nc.publish(deliver, "junk", { reply: `$JS.ACK.ORIGIN.${name}.1.2.1.1.0` });
      const odd = headers(100, "Idle Heartbeat");
      odd.set("Nats-Last-Consumer", "nope");
      t.nc.publish(deliver, "", { headers: odd });
      await t.nc.flush();
      for (let i = 8; i < 10; i++) await t.js.publish(`o.${i}`, "x");
      await expectMsgs(t.jsm, "AGG", 10);
      const last = await t.jsm.streams.getMessage("AGG", { seq: 10 });
      expect(last?.header.get("Nats-Stream-Source").split(" ")[1]).toBe("10");
    } finally {
      await t.stop();
    }
  });

  test("an external mirror whose origin is missing reports the error and catches up once the origin exists", async () => {
    const t = await startJs({ jetstream: { domain: "hub" } });
    try {
      await t.jsm.streams.add({ name: "LATE_M", mirror: { name: "LATE", external: { api: "$JS.hub.API", deliver: "" } } });
      await expect
        .poll(async () => (await t.jsm.streams.info("LATE_M")).mirror?.error, { timeout: 5000 })
        .toMatchObject({ code: 404, err_code: 10059, description: "stream not found" });
      await t.jsm.streams.add({ name: "LATE", subjects: ["late"] });
      await t.js.publish("late", "1");
      await expectMsgs(t.jsm, "LATE_M", 1, 15_000);
      expect((await t.jsm.streams.info("LATE_M")).mirror?.error).toBeUndefined();
    } finally {
      await t.stop();
    }
  });

  test("TestJetStreamStreamUpdateWithExternalSource: an external source of the same name is not checked against the stream itself", async () => {
    // Go runs the origin "stream" on a leaf node in domain a-leaf; the updates below never look at it.
    const t = await startJs({ jetstream: { domain: "hub" } });
    try {
      await t.jsm.streams.add({ name: "stream", subjects: ["hub"] });
      for (const filter of ["leaf", "foo"]) {
        const si = await t.jsm.streams.update("stream", {
          subjects: ["hub"],
          sources: [{ name: "stream", filter_subject: filter, external: { api: "$JS.a-leaf.API", deliver: "" } }],
        });
        expect(si.config.sources?.[0]).toMatchObject({ name: "stream", filter_subject: filter, external: { api: "$JS.a-leaf.API", deliver: "" } });
      }
    } finally {
      await t.stop();
    }
  });

  test("TestJetStreamStreamCheckSourcesWithExternal", async () => {
    const t = await startJs();
    try {
      await t.jsm.streams.add({ name: "ORIGIN" });
      const create = (src: Record<string, unknown>) => apiRequest(t.nc, "$JS.API.STREAM.CREATE.SOURCE", { name: "SOURCE", sources: [src] });
      for (const external of [undefined, {}]) {
        let r = await create({ name: "ORIGIN", filter_subject: "filter", subject_transforms: [{ src: "filter" }], external });
        expect(r.error?.err_code).toBe(10144); // JSSourceMultipleFiltersNotAllowed
        r = await create({ name: "ORIGIN", subject_transforms: [{ src: ".invalid" }], external });
        expect(r.error).toMatchObject({ err_code: 10145, description: "source transform source: invalid subject .invalid" });
        r = await create({ name: "ORIGIN", subject_transforms: [{ src: "src", dest: ".invalid" }], external });
        expect(r.error?.err_code).toBe(10146); // JSSourceInvalidTransformDestination
        r = await create({ name: "ORIGIN", subject_transforms: [{ src: "src" }, { src: "src" }], external });
        expect(r.error?.err_code).toBe(10147); // JSSourceOverlappingSubjectFilters
      }
    } finally {
      await t.stop();
    }
  });

  test("external prefixes are checked like Go: no wildcards, no overlap with $JS.API or with the origin's subjects", async () => {
    const t = await startJs();
    try {
      await t.jsm.streams.add({ name: "ORIGIN", subjects: ["orig.>"] });
      const create = (body: Record<string, unknown>) => apiRequest(t.nc, "$JS.API.STREAM.CREATE.X", { name: "X", ...body });
      let r = await create({ mirror: { name: "ORIGIN", external: { api: "$JS.API", deliver: "d" } } });
      expect(r.error).toEqual({ code: 400, err_code: 10021, description: "stream external api prefix $JS.API must not overlap with $JS.API" });
      r = await create({ sources: [{ name: "ORIGIN", external: { api: "A.*", deliver: "" } }] });
      expect(r.error).toEqual({ code: 500, err_code: 10052, description: 'stream external api prefix "A.*" must be a valid subject without wildcards' });
      r = await create({ mirror: { name: "ORIGIN", external: { api: "A.API", deliver: "d.>" } } });
      expect(r.error).toEqual({ code: 400, err_code: 10024, description: "stream external delivery prefix d.> must not contain wildcards" });
      // A deliver prefix is checked against the subjects of the (local) origins of other sources.
      r = await create({ sources: [{ name: "ORIGIN" }, { name: "OTHER", external: { api: "A.API", deliver: "orig" } }] });
      expect(r.error).toEqual({ code: 400, err_code: 10022, description: "stream external delivery prefix orig overlaps with stream subject orig.>" });
    } finally {
      await t.stop();
    }
  });
});
