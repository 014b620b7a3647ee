/**
 * @nats-ts/storage: the message store under JetStream streams, usable on its own as an
 * append-only, subject-indexed message log with limits, TTLs and crash safety.
 *
 * The API mirrors Go's StreamStore (nats-server server/store.go) in camelCase.
 * Conventions: sequences are numbers, timestamps are bigint nanoseconds since the epoch,
 * durations in configs are nanoseconds (Go's JSON), per-message TTLs are seconds (Go's).
 *
 * @example
 * import { FileStore, MemStore } from "@nats-ts/storage";
 * const fs = await FileStore.open({ dir: "/var/lib/app/orders", max_msgs_per_subject: 10 });
 * const { seq } = await fs.storeMsg("orders.1", null, Buffer.from("{}")); // fsynced
 * fs.loadLastMsg("orders.1").msg;
 * await fs.stop();
 */
export { StoreError, StoreErrorText, isStoreError } from "./errors.js";
export type { StoreErrorCode } from "./errors.js";
export { ManualClock, systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { MemStore } from "./memstore.js";
export { isValidLiteralSubject, isValidFilter, subjectMatches } from "./subject.js";
export type * from "./types.js";
export { FileStore, fileStoreMsgSize } from "./file/filestore.js";
export type { FileStoreOptions } from "./file/filestore.js";
export type { FsOps } from "./file/fs-ops.js";
export { MemConsumerStore, FileConsumerStore } from "./consumer/consumer-store.js";
export { encodeConsumerState, decodeConsumerState } from "./consumer/state-codec.js";
