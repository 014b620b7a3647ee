// Agreed shape with the consumer side (src/consumer), with these additions to the brief's sketch:
// - handleApi's `request` is the raw request payload (Buffer, headers stripped); the manager
//   decodes it (MSG.NEXT bodies may be a bare number).
// - `store` is the stream's store seen through a wrapper: removals made through it (interest /
//   workqueue acks) never leave subject delete markers.
// - Stream also offers `onPurged(listener)` (not part of ConsumerHost) for purges and rollups.
// - The factory receives `maxAckPending` (the account's max_ack_pending limit, -1 = none).
import type { InternalClient } from "@nats-ts/core";
import type { StreamStore } from "@nats-ts/storage";
import type { StreamConfigJson } from "./config.js";

/**
 * What a stream offers its consumers (implemented by Stream). The consumer package
 * (src/consumer) builds a ConsumerManager on it; see src/consumer/index.ts.
 */
export interface ConsumerHost {
  readonly streamName: string;
  /** The stream config as JSON (Go field names). */
  readonly config: StreamConfigJson;
  readonly store: StreamStore;
  /** Called after each new message is stored (and durable); returns an unsubscribe function. */
  onStored(listener: (seq: number, subject: string) => void): () => void;
  /** For publishing deliveries and subscribing to ack subjects. */
  client: InternalClient;
  accountName: string;
  domain?: string;
}

/** The consumer side of one stream, as the stream and the API router use it. */
export interface ConsumerManagerLike {
  handleApi(op: string, subjectTokens: string[], request: unknown, reply: string): Promise<unknown>;
  interestDone?(seq: number): boolean;
  readonly count: number;
  names(): string[];
  infos(offset: number, limit: number): unknown[];
  stop(): Promise<void>;
  delete(): Promise<void>;
}

/** Creates the consumer manager of a stream; `storeDir` is where its consumers persist state. */
export type ConsumerManagerFactory = (host: ConsumerHost, opts: { storeDir?: string; maxAckPending?: number }) => ConsumerManagerLike;
