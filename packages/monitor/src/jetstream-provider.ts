/**
 * What monitoring needs from JetStream. The @nats-ts/jetstream plugin implements this (or an
 * embedding app passes one to {@link monitorPlugin}); every shape is Go's JSON, snake_case, so
 * the JetStream package can hand over what its $JS.API already produces.
 */

/** Go's JetStreamConfig. */
export interface JetStreamConfigJson {
  max_memory: number;
  max_storage: number;
  store_dir?: string;
  sync_interval?: number;
  sync_always?: boolean;
  domain?: string;
  compress_ok?: boolean;
  unique_tag?: string;
  strict?: boolean;
}

/** Go's JetStreamStats (server-wide or for one account). */
export interface JetStreamStatsJson {
  memory: number;
  storage: number;
  reserved_memory: number;
  reserved_storage: number;
  accounts: number;
  ha_assets: number;
  api: { level?: number; total: number; errors: number; inflight?: number };
}

/** A consumer as Go's ConsumerInfo (what CONSUMER.INFO returns). */
export interface JetStreamConsumerJson {
  stream_name: string;
  name: string;
  created: string;
  config?: Record<string, unknown>;
  delivered: { consumer_seq: number; stream_seq: number; last_active?: string };
  ack_floor: { consumer_seq: number; stream_seq: number; last_active?: string };
  num_ack_pending: number;
  num_redelivered: number;
  num_waiting: number;
  num_pending: number;
  [key: string]: unknown;
}

/** A stream as monitoring lists it (Go's StreamDetail without the per-request trimming). */
export interface JetStreamStreamJson {
  name: string;
  created: string;
  cluster?: Record<string, unknown>;
  config: Record<string, unknown>;
  state: {
    messages: number;
    bytes: number;
    first_seq: number;
    first_ts: string;
    last_seq: number;
    last_ts: string;
    num_subjects?: number;
    consumer_count: number;
    [key: string]: unknown;
  };
  consumers: JetStreamConsumerJson[];
}

/** One JetStream-enabled account. */
export interface JetStreamAccountJson {
  name: string;
  stats: JetStreamStatsJson;
  streams: JetStreamStreamJson[];
}

/**
 * JetStream's side of /jsz, /varz's jetstream block, STATSZ, /healthz and the dashboard.
 *
 * @example
 * const provider: JetStreamStatsProvider = {
 *   jetStreamConfig: () => ({ max_memory: 1 << 30, max_storage: 1 << 34 }),
 *   jetStreamStats: () => js.usage(),
 *   jetStreamAccounts: () => js.accounts().map(describeAccount),
 * };
 */
export interface JetStreamStatsProvider {
  jetStreamConfig(): JetStreamConfigJson;
  jetStreamStats(): JetStreamStatsJson;
  jetStreamAccounts(): JetStreamAccountJson[];
  /** Problems /healthz should report (Go's healthz asset checks); none when healthy. */
  jetStreamHealth?(): { account?: string; stream?: string; consumer?: string; error: string }[];
}

/** Whether a value (e.g. a server plugin) implements {@link JetStreamStatsProvider}. */
export function isJetStreamStatsProvider(value: unknown): value is JetStreamStatsProvider {
  const v = value as Partial<JetStreamStatsProvider> | undefined;
  return (
    typeof v === "object" && v !== null &&
    typeof v.jetStreamConfig === "function" &&
    typeof v.jetStreamStats === "function" &&
    typeof v.jetStreamAccounts === "function"
  );
}
