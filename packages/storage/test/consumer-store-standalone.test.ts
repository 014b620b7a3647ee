// Kept in its own file: no FileStore is opened here, so the checksum module is only loaded if
// FileConsumerStore loads it itself (JetStream uses it beside memory streams).
import { join } from "node:path";
import { expect, test } from "vitest";
import { FileConsumerStore, systemClock } from "../src/index.js";
import { tempDir } from "./helpers.js";

test("FileConsumerStore works without any FileStore having been opened", async () => {
  const dir = join(tempDir(), "obs", "dlc");
  const cfg = { ack_policy: "explicit" as const };
  const c = new FileConsumerStore(dir, cfg, systemClock, () => undefined);
  c.setStarting(22);
  c.updateDelivered(23, 23, 1, 1n);
  await c.flush();
  await c.stop();
  const again = new FileConsumerStore(dir, cfg, systemClock, () => undefined);
  expect(again.state().delivered).toEqual({ consumer: 23, stream: 23 });
  await again.stop();
});
