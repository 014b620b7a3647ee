import { describe, expect, test } from "vitest";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { startJs, startJsFromConf } from "../helpers.js";

describe("direct gets served by mirrors (mirror_direct)", () => {
  test("TestJetStreamDirectGetBySubject: subject form, publish permissions, and a mirror answering for its origin", async () => {
    const conf = await startJsFromConf(`
      listen: 127.0.0.1:-1
      jetstream: {max_mem_store: 64GB, max_file_store: 10TB, store_dir: "%STORE%"}
      ONLYME = {
        publish = { allow = "$JS.API.DIRECT.GET.KV.vid.22.>"}
      }
      accounts: {
        A: {
          jetstream: enabled
          users: [
            { user: admin, password: s3cr3t },
            { user: user, password: pwd, permissions: $ONLYME},
          ]
        },
      }
    `);
    const { server } = conf;
    const admin = await connect({ servers: server.clientURL, user: "admin", pass: "s3cr3t" });
    const user = await connect({ servers: server.clientURL, user: "user", pass: "pwd" });
    try {
      const jsm = await jetstreamManager(admin);
      await jsm.streams.add({ name: "KV", storage: StorageType.Memory, subjects: ["vid.*.>"], max_msgs_per_subject: 1, allow_direct: true });
      const m = await jsm.streams.add({ name: "M", storage: StorageType.Memory, mirror: { name: "KV" }, mirror_direct: true });
      expect(m.config.mirror_direct).toBe(true);
      const js = jetstream(admin);
      await js.publish("vid.22.speed", "100");
      await js.publish("vid.33.speed", "55");

      expect((await user.request("$JS.API.DIRECT.GET.KV.vid.22.speed", "", { timeout: 1000 })).string()).toBe("100");
      const denied = (async () => {
        for await (const s of user.status()) if (s.type === "error") return String((s as { error: unknown }).error);
        return "";
      })();
      await expect(user.request("$JS.API.DIRECT.GET.KV.vid.33.speed", "", { timeout: 200 })).rejects.toThrow();
      expect(await denied).toMatch(/permissions violation/i);

      // The mirror joins the origin's responders: some answers come from it.
      await expect.poll(async () => (await jsm.streams.info("M")).state.messages).toBe(2);
      let sawMirror = false;
      for (let i = 0; i < 100 && !sawMirror; i++) {
        const r = await user.request("$JS.API.DIRECT.GET.KV.vid.22.speed", "", { timeout: 1000 });
        expect(r.string()).toBe("100");
        sawMirror = r.headers?.get("Nats-Stream") === "M";
      }
      expect(sawMirror).toBe(true);
    } finally {
      await Promise.all([admin.close(), user.close()]);
      await conf.stop();
    }
  });

  test("a KV mirror inherits direct gets from its origin, serves them, and stops once deleted", async () => {
    const t = await startJs();
    try {
      const kvm = new Kvm(t.nc);
      const kv = await kvm.create("ORIGIN");
      await kv.put("a", "1");
      await kv.put("b", "2");
      await kvm.create("MIR", { mirror: { name: "ORIGIN" } });
      const si = await t.jsm.streams.info("KV_MIR");
      expect(si.config.mirror_direct).toBe(true);
      await expect.poll(async () => (await t.jsm.streams.info("KV_MIR")).state.messages).toBe(2);
      // The origin bucket's reads are direct gets: both streams answer them.
      const answeredBy = async (): Promise<Set<string>> => {
        const seen = new Set<string>();
        for (let i = 0; i < 60; i++) {
          expect((await kv.get("a"))?.string()).toBe("1");
          const r = await t.jsm.direct.getMessage("KV_ORIGIN", { last_by_subj: "$KV.ORIGIN.b" });
          expect(r?.string()).toBe("2");
          seen.add(r?.header.get("Nats-Stream") ?? "");
        }
        return seen;
      };
      expect(await answeredBy()).toEqual(new Set(["KV_ORIGIN", "KV_MIR"]));

      // As in Go, the mirror keeps following its origin's allow_direct on updates.
      expect((await t.jsm.streams.update("KV_MIR", { ...si.config, mirror_direct: false })).config.mirror_direct).toBe(true);
      await t.jsm.streams.delete("KV_MIR");
      expect(await answeredBy()).toEqual(new Set(["KV_ORIGIN"]));
    } finally {
      await t.stop();
    }
  });
});
