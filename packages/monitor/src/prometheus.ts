import type { MonitorContext } from "./context.js";
import { connz } from "./endpoints/connz.js";
import { jsz } from "./endpoints/jsz.js";
import { varz } from "./endpoints/varz.js";

/**
 * Prometheus text exposition with the metric names of the community exporter
 * (prometheus-nats-exporter): every numeric /varz field as `gnatsd_varz_<field>` (nested
 * fields joined with `_`), /connz totals as `gnatsd_connz_*`, and JetStream as
 * `jetstream_server_*`, `jetstream_stream_*`, `jetstream_consumer_*`. Dashboards built on the
 * exporter work against this endpoint directly.
 */

/** Fields the exporter reports as counters; the rest are gauges. */
const COUNTERS = new Set(["in_msgs", "out_msgs", "in_bytes", "out_bytes", "total_connections", "slow_consumers"]);

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  metric(name: string, help: string, type: "gauge" | "counter", value: number, labels: Labels): void {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    const ls = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
      .join(",");
    this.lines.push(`${name}{${ls}} ${Number.isFinite(value) ? value : 0}`);
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** Numeric leaves of a JSON object as [path_with_underscores, value]. */
function numericLeaves(value: Record<string, unknown>, prefix = ""): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(value)) {
    const name = `${prefix}${k}`;
    if (typeof v === "number") out.push([name, v]);
    else if (typeof v === "boolean") continue;
    else if (v !== null && typeof v === "object" && !Array.isArray(v)) out.push(...numericLeaves(v as Record<string, unknown>, `${name}_`));
  }
  return out;
}

const metricName = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, "_");

/** The /metrics body. */
export function prometheusMetrics(ctx: MonitorContext): string {
  const out = new Exposition();
  const server = { server_id: ctx.server.id };
  for (const [field, value] of numericLeaves(varz(ctx))) {
    const name = metricName(`gnatsd_varz_${field}`);
    out.metric(name, field, COUNTERS.has(field) ? "counter" : "gauge", value, server);
  }
  const c = connz(ctx, { limit: Number.MAX_SAFE_INTEGER });
  const sums = { pending_bytes: 0, subscriptions: 0, in_bytes: 0, out_bytes: 0, in_msgs: 0, out_msgs: 0 };
  for (const conn of c.connections) for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] += conn[k];
  out.metric("gnatsd_connz_num_connections", "num_connections", "gauge", c.num_connections, server);
  out.metric("gnatsd_connz_total", "total", "gauge", c.total, server);
  out.metric("gnatsd_connz_offset", "offset", "gauge", c.offset, server);
  out.metric("gnatsd_connz_limit", "limit", "gauge", c.limit, server);
  for (const [k, v] of Object.entries(sums)) out.metric(`gnatsd_connz_${k}`, k, COUNTERS.has(k) ? "counter" : "gauge", v, server);
  jetStreamMetrics(ctx, out);
  return out.toString();
}

function jetStreamMetrics(ctx: MonitorContext, out: Exposition): void {
  const info = jsz(ctx, { consumers: true, config: true }) as Record<string, any>;
  const base: Labels = { server_id: ctx.server.id, server_name: ctx.server.name, cluster: "", domain: info.config?.domain ?? "", meta_leader: "", is_meta_leader: "true" };
  const server = (name: string, help: string, value: number) => out.metric(`jetstream_server_${name}`, help, "gauge", value, base);
  server("jetstream_disabled", "JetStream disabled or not", info.disabled ? 1 : 0);
  server("max_memory", "JetStream Max Memory", info.config?.max_memory ?? 0);
  server("max_storage", "JetStream Max Storage", info.config?.max_storage ?? 0);
  server("total_streams", "Total number of streams in JetStream", info.streams);
  server("total_consumers", "Total number of consumers in JetStream", info.consumers);
  server("total_messages", "Total number of stored messages in JetStream", info.messages);
  server("total_message_bytes", "Total number of bytes stored in JetStream", info.bytes);
  for (const account of info.account_details ?? []) {
    for (const s of account.stream_detail ?? []) {
      const leader = s.cluster?.leader ?? "";
      const sl: Labels = { ...base, account: account.name, account_id: account.id, stream_name: s.name, stream_leader: leader, is_stream_leader: String(leader === "" || leader === ctx.server.name) };
      const stream = (name: string, help: string, value: number) => out.metric(`jetstream_stream_${name}`, help, "gauge", value, sl);
      stream("total_messages", "Total number of messages from a stream", s.state.messages);
      stream("total_bytes", "Total stored bytes from a stream", s.state.bytes);
      stream("first_seq", "First sequence from a stream", s.state.first_seq);
      stream("last_seq", "Last sequence from a stream", s.state.last_seq);
      stream("consumer_count", "Total number of consumers from a stream", s.state.consumer_count);
      for (const cons of s.consumer_detail ?? []) {
        const cl: Labels = { ...sl, consumer_name: cons.name, consumer_leader: leader, is_consumer_leader: sl.is_stream_leader, consumer_desc: cons.config?.description ?? "", consumer_created: cons.created };
        const consumer = (name: string, help: string, value: number) => out.metric(`jetstream_consumer_${name}`, help, "gauge", value, cl);
        consumer("delivered_consumer_seq", "Latest sequence number of a stream consumer", cons.delivered.consumer_seq);
        consumer("delivered_stream_seq", "Latest sequence number of a stream", cons.delivered.stream_seq);
        consumer("num_ack_pending", "Number of pending acks from a consumer", cons.num_ack_pending);
        consumer("num_redelivered", "Number of redelivered messages from a consumer", cons.num_redelivered);
        consumer("num_waiting", "Number of inflight fetch requests from a pull consumer", cons.num_waiting);
        consumer("num_pending", "Number of pending messages from a consumer", cons.num_pending);
        consumer("ack_floor_stream_seq", "Number of ack floor stream seq from a consumer", cons.ack_floor.stream_seq);
        consumer("ack_floor_consumer_seq", "Number of ack floor consumer seq from a consumer", cons.ack_floor.consumer_seq);
      }
    }
  }
}
