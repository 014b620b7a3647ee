import type { Clock } from "./clock.js";

/** Go's DiscardPolicy in its JSON spelling. */
export type DiscardPolicy = "old" | "new";

/**
 * The stream limits a store enforces, named like Go's StreamConfig JSON keys.
 * Durations are nanoseconds (Go marshals time.Duration as integer nanoseconds).
 * A limit of 0 or -1 means "no limit", as in Go.
 */
export interface StreamStoreConfig {
  /** Stream name; used for diagnostics only. */
  name?: string;
  max_msgs?: number;
  max_bytes?: number;
  /** Maximum message age in nanoseconds. */
  max_age?: number;
  max_msgs_per_subject?: number;
  /** Largest accepted message (subject + headers + payload), bytes. */
  max_msg_size?: number;
  discard?: DiscardPolicy;
  /** With discard "new": reject a message once its subject is at max_msgs_per_subject. */
  discard_new_per_subject?: boolean;
  /** Sequence of the first message of a new, empty store (Go's FirstSeq). */
  first_seq?: number;
  /** Honour the per-message `ttl` argument of storeMsg. */
  allow_msg_ttl?: boolean;
}

/** How FileStore makes writes durable. */
export type SyncPolicy = "always" | "interval";

/** Optional encryption at rest. The key is derived from `key` with HKDF-SHA256. */
export interface CipherConfig {
  algorithm: "chacha20-poly1305" | "aes-256-gcm";
  key: string | Uint8Array;
}

/** FileStore settings, named like Go's FileStoreConfig where one exists. */
export interface FileStoreConfig extends StreamStoreConfig {
  /** Directory holding this stream's files; created when missing. */
  dir: string;
  /** Rotate to a new block once the current one reaches this many bytes (default 8 MiB). */
  block_size?: number;
  /** "always" (default): storeMsg resolves after fsync. "interval": fsync every sync_interval. */
  sync?: SyncPolicy;
  /** Interval between background fsyncs for sync "interval", nanoseconds (default 2 minutes, as Go). */
  sync_interval?: number;
  /** "s2"/"snappy" compress record bodies with snappy when it helps; "none" (default) does not. */
  compression?: "none" | "s2" | "snappy";
  cipher?: CipherConfig;
  /** Rewrite a sealed block once its live bytes fall below this share of its size (default 0.5). */
  compact_ratio?: number;
  /** Bytes of recently written blocks kept in memory for reads (default 32 MiB). */
  cache_size?: number;
}

/** Runtime hooks that are not configuration. */
export interface StoreOptions {
  clock?: Clock;
  /** Receives problems found and repaired (corruption, lost records), as warnings. */
  onWarning?: (w: StoreWarning) => void;
}

/** A problem the store detected and worked around; see FileStore.warnings. */
export interface StoreWarning {
  kind: "corrupt-record" | "truncated-block" | "bad-index" | "lost-messages" | "io";
  file?: string;
  /** Byte offset where the damage starts. */
  offset?: number;
  /** Sequences known to be lost, if any were identified. */
  lostSeqs?: number[];
  message: string;
}

/** One stored message. `hdr` is empty when the message carried no headers. */
export interface StoreMsg {
  subject: string;
  hdr: Uint8Array;
  msg: Uint8Array;
  seq: number;
  /** Nanoseconds since the Unix epoch. */
  ts: bigint;
}

/** Go's StreamState. Times are nanoseconds since the epoch (0n when unset). */
export interface StreamState {
  msgs: number;
  bytes: number;
  firstSeq: number;
  firstTime: bigint;
  lastSeq: number;
  lastTime: bigint;
  numSubjects: number;
  numDeleted: number;
  /** Interior deleted sequences, all of them as in Go up to 2^24 (only filled by state(), not fastState()). */
  deleted?: number[];
  lost?: { msgs: number[]; bytes: number };
  consumers: number;
}

/** Go's SimpleState: per-subject or filtered counts. */
export interface SimpleState {
  msgs: number;
  first: number;
  last: number;
}

/** Callback with signed message/byte deltas; seq and subject are set for single-message changes. */
export type StorageUpdateHandler = (msgs: number, bytes: number, seq: number, subject: string) => void;

export type StorageType = "file" | "memory";

/** Result of a forward or backward filtered load. */
export interface LoadResult {
  msg: StoreMsg;
  /** The sequence found (Go's "skip" return). */
  seq: number;
}

export interface NumPendingResult {
  total: number;
  validThrough: number;
}

/** A snapshot as one self-describing byte stream, restorable with FileStore.restore. */
export interface SnapshotResult {
  data: Buffer;
  state: StreamState;
}

/**
 * The storage interface under a JetStream stream; mirrors Go's StreamStore
 * (server/store.go) method for method in camelCase.
 *
 * Sequences are JavaScript numbers (exact up to 2^53); timestamps are bigint nanoseconds.
 * Writes that must reach disk return Promises; everything else is synchronous.
 */
export interface StreamStore {
  /** Stores at the next sequence with the current time; resolves when durable per the sync policy. `ttl` in seconds (needs allow_msg_ttl). Throws BadSubject, MsgTooLarge, MaxMsgs/MaxBytes/MaxMsgsPerSubject (discard "new"), StoreClosed. */
  storeMsg(subject: string, hdr: Uint8Array | null, msg: Uint8Array | null, ttl?: number): Promise<{ seq: number; ts: bigint }>;
  /** Stores with an expected sequence (0 = next; else SequenceMismatch) and a given timestamp, as replication does. Limits with discard "new" apply only when discardNewCheck. */
  storeRawMsg(subject: string, hdr: Uint8Array | null, msg: Uint8Array | null, seq: number, ts: bigint, ttl?: number, discardNewCheck?: boolean): Promise<void>;
  /** Consumes sequence `seq` (0 = next) without a message; returns it. */
  skipMsg(seq: number): number;
  /** Consumes `num` sequences from `seq` (0 = next) without messages. */
  skipMsgs(seq: number, num: number): void;
  /** Resolves when everything stored or removed so far is durable. */
  flushAllPending(): Promise<void>;
  /** The message at `seq`; throws MsgNotFound (removed) or StoreEOF (past the last sequence). */
  loadMsg(seq: number): StoreMsg;
  /** First message at or after `start` matching `filter` (`wc`: filter may hold wildcards). Throws StoreEOF (with `skip` = last sequence) when none. */
  loadNextMsg(filter: string, wc: boolean, start: number): LoadResult;
  /** First message at or after `start` matching any of `filters`. */
  loadNextMsgMulti(filters: string[], start: number): LoadResult;
  /** Newest message on `subject` (wildcards allowed); throws MsgNotFound. */
  loadLastMsg(subject: string): StoreMsg;
  /** Last message at or before `start` matching `filter`; throws StoreEOF (with `skip` = first sequence). */
  loadPrevMsg(filter: string, wc: boolean, start: number): LoadResult;
  /** Last message at or before `start` matching any of `filters`; throws StoreEOF. */
  loadPrevMsgMulti(filters: string[], start: number): LoadResult;
  /** Delivers the last message per matching subject in ascending order (Go's MultiLastMsgs). */
  multiLastMsgs(filters: string[], minSeq: number, maxSeq: number, maxAllowed: number, cb: (msg: StoreMsg, numPending: number) => boolean): { total: number; numPending: number };
  /** Like skipMsg but also moves the last time to now (interest retention). */
  skipMsgNoInterest(seq: number): number;
  /** numPending over the union of several filters. */
  numPendingMulti(sseq: number, filters: string[], lastPerSubject: boolean): NumPendingResult;
  /** Removes one message; false when it did not exist. */
  removeMsg(seq: number): boolean;
  /** Removes one message and overwrites its stored bytes. */
  eraseMsg(seq: number): boolean;
  /** Removes all messages, keeping the sequence; returns how many. */
  purge(): number;
  /** Removes messages on `subject` (wildcards allowed) below `seq` (0 = all), keeping the newest `keep` (0 = none). */
  purgeEx(subject: string, seq: number, keep: number): number;
  /** Removes every message below `seq`; past the end, the next message gets `seq`. */
  compact(seq: number): number;
  /** Removes every message above `seq`; 0 resets the store. */
  truncate(seq: number): void;
  /** First sequence stored at or after `ts` (ns); last sequence + 1 when none. */
  getSeqFromTime(ts: bigint): number;
  /** Count, first and last sequence of messages at or after `seq` matching `subject`. */
  filteredState(seq: number, subject: string): SimpleState;
  /** Per-subject state of the subjects matching `filter` ("" or ">" for all). */
  subjectsState(filter: string): Map<string, SimpleState>;
  /** Message count of the subjects matching `filter`. */
  subjectsTotals(filter: string): Map<string, number>;
  /** Last sequence of every subject, ascending. */
  allLastSeqs(): number[];
  /** Last sequence (at or below maxSeq; 0 = no bound) of each subject matching any filter, ascending; TooManyResults past maxAllowed (> 0). */
  multiLastSeqs(filters: string[], maxSeq: number, maxAllowed: number): number[];
  /** Subject of the message at `seq`; throws MsgNotFound. */
  subjectForSeq(seq: number): string;
  /** Messages at or after `sseq` matching `filter`, or with lastPerSubject the matching subjects whose last message is. */
  numPending(sseq: number, filter: string, lastPerSubject: boolean): NumPendingResult;
  /** Full state, including the list of interior deleted sequences. */
  state(): StreamState;
  /** Counters only (no deleted list); cheap. */
  fastState(): StreamState;
  type(): StorageType;
  /** Callback for every change in stored messages and bytes (undefined to remove). */
  registerStorageUpdates(cb: StorageUpdateHandler | undefined): void;
  /** Applies new limits and enforces them at once. */
  updateConfig(cfg: StreamStoreConfig): void;
  /** Stops the store and removes all its data. */
  delete(): Promise<void>;
  /** Flushes and closes; later calls throw StoreClosed. */
  stop(): Promise<void>;
  /** Bytes used by the store (`total`, on disk for FileStore) and bytes accounted to messages (`reported`). */
  utilization(): { total: number; reported: number };
  /** Opens (or recovers) the state store of consumer `name` of this stream. */
  consumerStore(name: string, cfg: ConsumerStoreConfig): ConsumerStore;
}

/** Go's SequencePair. */
export interface SequencePair {
  consumer: number;
  stream: number;
}

/** A delivered, unacknowledged message: its consumer sequence and delivery time (ns). */
export interface PendingEntry {
  sequence: number;
  timestamp: bigint;
}

/** Go's ConsumerState. Pending and redelivered are keyed by stream sequence. */
export interface ConsumerState {
  delivered: SequencePair;
  ackFloor: SequencePair;
  pending: Map<number, PendingEntry>;
  redelivered: Map<number, number>;
}

/** Which acknowledgement bookkeeping a consumer needs; mirrors Go's AckPolicy. */
export type AckPolicy = "none" | "all" | "explicit";

export interface ConsumerStoreConfig {
  ack_policy: AckPolicy;
  /** Deliveries after which a message stops being pending (0 = unlimited). */
  max_deliver?: number;
  [key: string]: unknown;
}

/** Go's ConsumerStore: persistent delivery and acknowledgement state of one consumer. */
export interface ConsumerStore {
  setStarting(sseq: number): void;
  updateStarting(sseq: number): void;
  reset(sseq: number): void;
  hasState(): boolean;
  updateDelivered(dseq: number, sseq: number, dc: number, ts: bigint): void;
  updateAcks(dseq: number, sseq: number): void;
  removeRedeliveredBelow(seq: number): void;
  getConfig(): ConsumerStoreConfig;
  updateConfig(cfg: ConsumerStoreConfig): void;
  update(state: ConsumerState): void;
  forceUpdate(state: ConsumerState): void;
  state(): ConsumerState;
  encodedState(): Buffer;
  type(): StorageType;
  /** Resolves once every update so far is on disk (no-op in memory). */
  flush(): Promise<void>;
  stop(): Promise<void>;
  delete(): Promise<void>;
}

export type { Clock };
