import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileConsumerStore, type Clock, type ConsumerStore } from "@nats-ts/storage";
import type { ConsumerConfigJson } from "./config.js";

/** What identifies a stored consumer: its name, creation time and config. */
export interface ConsumerMeta {
  name: string;
  /** ns since epoch, as a decimal string. */
  created: string;
  config: ConsumerConfigJson;
}

/**
 * Durable consumer state under a stream's consumer directory, one folder per consumer:
 * `consumer.json` (name, creation time, config; replaced atomically) beside the storage
 * package's FileConsumerStore files (Go's consumer state encoding with a checksum).
 *
 * @example
 * const files = new ConsumerFiles("/data/jetstream/$G/streams/ORDERS/obs", clock);
 * const store = files.open({ name: "worker", created: "0", config });
 */
export class ConsumerFiles {
  constructor(
    readonly dir: string,
    private readonly clock: Clock,
  ) {}

  /** Every stored consumer with its opened state store; unreadable ones go to `onBad` and are removed. */
  readAll(onBad: (name: string, err: unknown) => void): { meta: ConsumerMeta; store: ConsumerStore }[] {
    if (!existsSync(this.dir)) return [];
    const out: { meta: ConsumerMeta; store: ConsumerStore }[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name, "consumer.json");
      if (!existsSync(file)) continue;
      try {
        const meta = JSON.parse(readFileSync(file, "utf8")) as ConsumerMeta;
        if (typeof meta.name !== "string" || typeof meta.config !== "object" || meta.config === null) throw new Error("missing name or config");
        out.push({ meta, store: this.store(meta) });
      } catch (e) {
        // Like Go, a consumer whose state can not be read is dropped rather than served wrong.
        onBad(name, e);
        this.remove(name);
      }
    }
    return out;
  }

  /** Creates the folder of a new consumer and opens its state store. */
  open(meta: ConsumerMeta): ConsumerStore {
    this.writeMeta(meta);
    return this.store(meta);
  }

  writeMeta(meta: ConsumerMeta): void {
    const dir = join(this.dir, meta.name);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, "consumer.json.tmp");
    writeFileSync(tmp, JSON.stringify(meta));
    renameSync(tmp, join(dir, "consumer.json"));
  }

  remove(name: string): void {
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  private store(meta: ConsumerMeta): ConsumerStore {
    const cfg = { ack_policy: meta.config.ack_policy, max_deliver: meta.config.max_deliver ?? 0, name: meta.name };
    return new FileConsumerStore(join(this.dir, meta.name), cfg, this.clock, () => undefined);
  }
}
