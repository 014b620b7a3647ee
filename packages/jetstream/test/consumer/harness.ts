import { NatsServer, type InternalClient } from "@nats-ts/core";
import { join } from "node:path";
import { FileStore, MemStore, type Clock, type StreamStore } from "@nats-ts/storage";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ConsumerManager } from "../../src/consumer/index.js";
import type { ConsumerHost } from "../../src/stream/consumer-host.js";
import type { StreamConfigJson } from "../../src/stream/config.js";

/**
 * A minimal stream in front of a ConsumerManager, for testing consumers without the stream
 * package: a MemStore fed by an internal subscription on the stream subjects, and the
 * `$JS.API.CONSUMER.>` subjects routed to the manager. Real NATS clients talk to it.
 */
export interface Harness {
  server: NatsServer;
  store: StreamStore;
  manager: ConsumerManager;
  client: InternalClient;
  nc: NatsConnection;
  /** Stores a message as the stream would (resolves once stored and consumers told). */
  store1(subject: string, data?: string): Promise<number>;
  /** Re-creates the manager over the same store and state dir (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  clock?: Clock;
  storeDir?: string;
}

export async function startHarness(cfg: Partial<StreamConfigJson> & { name: string }, opts: HarnessOptions = {}): Promise<Harness> {
  const server = new NatsServer({ host: "127.0.0.1", port: 0 });
  await server.start();
  const client = server.createInternalClient("JETSTREAM");
  const storeOpts = opts.clock ? { clock: opts.clock } : {};
  // With a state dir the stream is file backed too, as a durable stream would be.
  const store: StreamStore = opts.storeDir
    ? await FileStore.open({ name: cfg.name, dir: join(opts.storeDir, "msgs") }, storeOpts)
    : new MemStore({ name: cfg.name }, storeOpts);
  const listeners = new Set<(seq: number, subject: string) => void>();
  const config = { subjects: [`${cfg.name}.>`], retention: "limits", num_replicas: 1, max_consumers: -1, ...cfg } as StreamConfigJson;
  const host: ConsumerHost = {
    streamName: cfg.name,
    config,
    store,
    onStored(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    client,
    accountName: "$G",
  };
  const obs = opts.storeDir ? join(opts.storeDir, "obs") : undefined;
  let manager = new ConsumerManager(host, { storeDir: obs, clock: opts.clock });

  const stored = async (subject: string, hdr: Uint8Array | null, data: Uint8Array): Promise<number> => {
    const { seq } = await store.storeMsg(subject, hdr, data);
    for (const l of listeners) l(seq, subject);
    if (config.retention === "interest" && manager.interestDone(seq)) store.removeMsg(seq);
    return seq;
  };
  for (const s of config.subjects ?? []) {
    client.subscribe(s, (subject, reply, hdrSize, msg) => {
      void stored(subject, hdrSize > 0 ? msg.subarray(0, hdrSize) : null, msg.subarray(hdrSize)).then((seq) => {
        if (reply) client.publish(reply, Buffer.from(JSON.stringify({ stream: cfg.name, seq })));
      });
    });
  }
  client.subscribe("$JS.API.CONSUMER.>", (subject, reply, hdrSize, msg) => {
    const tokens = subject.split(".");
    const op = tokens[3] === "DURABLE" || tokens[3] === "MSG" || tokens[3] === "LEADER" ? `${tokens[3]}.${tokens[4]}` : tokens[3];
    const payload = msg.subarray(hdrSize);
    const body = op === "MSG.NEXT" ? payload : payload.length ? payload.toString() : undefined;
    manager.handleApi(op, tokens, body, reply ?? "").then(
      (resp) => {
        if (resp !== undefined && reply) client.publish(reply, Buffer.from(JSON.stringify(resp)));
      },
      (err: { toJSON?: () => unknown }) => {
        if (reply) client.publish(reply, Buffer.from(JSON.stringify({ error: err.toJSON ? err.toJSON() : { code: 500, description: String(err) } })));
      },
    );
  });
  const nc = await connect({ servers: server.clientURL, reconnect: false });
  return {
    server,
    store,
    get manager() {
      return manager;
    },
    client,
    nc,
    store1: (subject, data = "") => stored(subject, null, Buffer.from(data)),
    async restart() {
      await manager.stop();
      manager = new ConsumerManager(host, { storeDir: obs, clock: opts.clock });
    },
    async close() {
      await manager.stop();
      await store.stop();
      await nc.close();
      await server.shutdown();
    },
  } as Harness;
}

/** Lets setImmediate-scheduled delivery passes run. */
export function tick(n = 3): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) => (left <= 0 ? resolve() : setImmediate(() => step(left - 1)));
    step(n);
  });
}
