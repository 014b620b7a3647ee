import { cpus } from "node:os";
import type { NatsServer } from "@nats-ts/core";
import { isJetStreamStatsProvider, type JetStreamStatsProvider } from "./jetstream-provider.js";
import type { UsageTracker } from "./tracker.js";

/** Everything the endpoints read, shared by HTTP and $SYS requests. */
export class MonitorContext {
  /** Requests served per HTTP path (Go's http_req_stats). */
  readonly httpReqStats: Record<string, number> = {};
  /** The monitoring port actually bound (0 when HTTP is off). */
  httpPort = 0;
  /** The HTTPS monitoring port actually bound (0 when HTTPS is off). */
  httpsPort = 0;
  private cpuSample = { at: process.hrtime.bigint(), usage: process.cpuUsage(), percent: 0 };

  constructor(
    readonly server: NatsServer,
    readonly tracker: UsageTracker,
    readonly basePath: string,
    private readonly explicitJetStream: JetStreamStatsProvider | undefined,
  ) {}

  /**
   * Whether JetStream runs in this server: a statistics provider was given, or a "jetstream"
   * plugin is present and not disabled (before it provides statistics, monitoring knows only that).
   */
  get jetstreamRunning(): boolean {
    if (this.jetstream !== undefined) return true;
    const plugin = this.server.plugin("jetstream") as { enabled?: boolean } | undefined;
    return plugin !== undefined && plugin.enabled !== false;
  }

  /** JetStream's statistics, when JetStream runs in this server. */
  get jetstream(): JetStreamStatsProvider | undefined {
    if (this.explicitJetStream !== undefined) return this.explicitJetStream;
    const plugin = this.server.plugin("jetstream");
    // The plugin is always composed; it only counts once JetStream is switched on.
    const enabled = (plugin as { enabled?: boolean } | undefined)?.enabled !== false;
    return isJetStreamStatsProvider(plugin) && enabled ? plugin : undefined;
  }

  /** Process CPU in percent of one core since the previous sample at least a second ago (like Go's pse). */
  cpuPercent(): number {
    const at = process.hrtime.bigint();
    const elapsedUs = Number(at - this.cpuSample.at) / 1000;
    if (elapsedUs >= 1_000_000) {
      const used = process.cpuUsage(this.cpuSample.usage);
      const percent = Math.round(((used.user + used.system) / elapsedUs) * 1000) / 10;
      this.cpuSample = { at, usage: process.cpuUsage(), percent };
    }
    return this.cpuSample.percent;
  }

  get cores(): number {
    return cpus().length;
  }

  countRequest(path: string): void {
    this.httpReqStats[path] = (this.httpReqStats[path] ?? 0) + 1;
  }
}
