import type { JetStreamAccountJson, JetStreamStatsProvider } from "../src/index.js";

/**
 * A JetStream stand-in with one account, one stream and one consumer whose counters tests can
 * change, so /jsz and the dashboard can be checked before @nats-ts/jetstream provides the real
 * statistics.
 */
export class FakeJetStream implements JetStreamStatsProvider {
  messages = 3;
  pending = 3;
  apiTotal = 2;
  problems: { account?: string; stream?: string; consumer?: string; error: string }[] = [];

  constructor(readonly accountName = "APP") {}

  jetStreamConfig() {
    return { max_memory: 1 << 30, max_storage: 1 << 34, store_dir: "/tmp/js" };
  }

  jetStreamStats() {
    return { memory: 0, storage: this.messages * 41, reserved_memory: 0, reserved_storage: 0, accounts: 1, ha_assets: 0, api: { total: this.apiTotal, errors: 0 } };
  }

  jetStreamAccounts(): JetStreamAccountJson[] {
    const now = new Date().toISOString();
    return [
      {
        name: this.accountName,
        stats: { ...this.jetStreamStats(), accounts: 0 },
        streams: [
          {
            name: "ORDERS",
            created: now,
            cluster: { leader: "tsfix" },
            config: {
              name: "ORDERS", subjects: ["orders.>"], retention: "limits", max_consumers: -1, max_msgs: -1, max_bytes: -1,
              max_age: 0, max_msgs_per_subject: -1, max_msg_size: -1, discard: "old", storage: "file", num_replicas: 1,
              duplicate_window: 120_000_000_000, allow_direct: false, mirror_direct: false, sealed: false,
              deny_delete: false, deny_purge: false, allow_rollup_hdrs: false,
            },
            state: { messages: this.messages, bytes: this.messages * 41, first_seq: 1, first_ts: now, last_seq: this.messages, last_ts: now, num_subjects: 1, consumer_count: 1 },
            consumers: [
              {
                stream_name: "ORDERS",
                name: "C1",
                created: now,
                config: { durable_name: "C1", name: "C1", deliver_policy: "all", ack_policy: "explicit", ack_wait: 30_000_000_000, max_deliver: -1, replay_policy: "instant", max_waiting: 512, max_ack_pending: 1000, num_replicas: 0 },
                delivered: { consumer_seq: 0, stream_seq: 0 },
                ack_floor: { consumer_seq: 0, stream_seq: 0 },
                num_ack_pending: 0,
                num_redelivered: 0,
                num_waiting: 0,
                num_pending: this.pending,
              },
            ],
          },
        ],
      },
    ];
  }

  jetStreamHealth() {
    return this.problems;
  }
}
