import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { AckSnapshot } from "./ack-state.js";
import type { ConsumerConfigJson } from "./config.js";

/** What is kept on disk for one consumer: its config, creation time and delivery state. */
export interface StoredConsumer {
  name: string;
  /** ns since epoch, as a decimal string. */
  created: string;
  config: ConsumerConfigJson;
  state?: AckSnapshot;
}

/**
 * Consumer state files under a stream's consumer directory: `<dir>/<name>/consumer.json`,
 * replaced atomically (write to a temp file, then rename) so a crash leaves the old or the new
 * version, never a torn one.
 *
 * @example
 * const files = new ConsumerStateFiles("/data/jetstream/$G/streams/ORDERS/obs");
 * files.write({ name: "worker", created: "0", config });
 */
export class ConsumerStateFiles {
  constructor(readonly dir: string) {}

  /** Every stored consumer; unreadable ones are reported through `onBad` and skipped. */
  readAll(onBad: (name: string, err: unknown) => void): StoredConsumer[] {
    if (!existsSync(this.dir)) return [];
    const out: StoredConsumer[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name, "consumer.json");
      if (!existsSync(file)) continue;
      try {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as StoredConsumer;
        if (typeof parsed.name !== "string" || typeof parsed.config !== "object") throw new Error("missing name or config");
        out.push(parsed);
      } catch (e) {
        onBad(name, e);
      }
    }
    return out;
  }

  write(c: StoredConsumer): void {
    const dir = join(this.dir, c.name);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, "consumer.json.tmp");
    writeFileSync(tmp, JSON.stringify(c));
    renameSync(tmp, join(dir, "consumer.json"));
  }

  remove(name: string): void {
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }
}
