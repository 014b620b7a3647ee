import type { MonitorContext } from "../context.js";

/** Options for /healthz and $SYS.REQ.*.HEALTHZ (Go's HealthzOptions). */
export interface HealthzOptions {
  jsEnabledOnly?: boolean;
  jsServerOnly?: boolean;
  jsMetaOnly?: boolean;
  account?: string;
  stream?: string;
  consumer?: string;
  details?: boolean;
}

/** Go's HealthzError, its type as Go marshals it. */
export interface HealthzErrorJson {
  type: "CONNECTION" | "BAD_REQUEST" | "JETSTREAM" | "ACCOUNT" | "STREAM" | "CONSUMER";
  account?: string;
  stream?: string;
  consumer?: string;
  error?: string;
}

/** Go's HealthStatus. */
export interface HealthStatusJson {
  status: string;
  status_code?: number;
  error?: string;
  errors?: HealthzErrorJson[];
}

/**
 * Go's healthz(): "ok", or why not, with the HTTP status Go would answer with.
 *
 * @example
 * if (healthz(monitor.context!, { jsEnabledOnly: true }).status_code !== 200) alert();
 */
export function healthz(ctx: MonitorContext, opts: HealthzOptions = {}): HealthStatusJson & { status_code: number } {
  const health: HealthStatusJson = { status: "ok" };
  let code = 0;
  const fail = (type: HealthzErrorJson["type"], error: string, status: string, statusCode: number, extra: Partial<HealthzErrorJson> = {}) => {
    code = statusCode;
    if (opts.details) (health.errors ??= []).push({ type, ...extra, error });
    else {
      health.status = status;
      health.error = error;
    }
  };
  const account = opts.account ?? "";
  const stream = opts.stream ?? "";
  if (account === "" && stream !== "") {
    fail("BAD_REQUEST", `"account" must not be empty when checking stream health`, "error", 400);
  } else if (stream === "" && (opts.consumer ?? "") !== "") {
    fail("BAD_REQUEST", `"stream" must not be empty when checking consumer health`, "error", 400);
  } else if (!ctx.server.isRunning) {
    fail("CONNECTION", "server not ready for connections", "error", 500);
  } else if (!opts.jsServerOnly && ctx.server.opts.jetstream !== false) {
    if (!ctx.jetstreamRunning) {
      fail("JETSTREAM", "JetStream not enabled (10076)", "unavailable", 503);
    } else if (!opts.jsEnabledOnly && !opts.jsMetaOnly) {
      for (const p of ctx.jetstream?.jetStreamHealth?.() ?? []) {
        if (account !== "" && p.account !== account) continue;
        if (stream !== "" && p.stream !== stream) continue;
        const type = p.consumer !== undefined ? "CONSUMER" : p.stream !== undefined ? "STREAM" : "ACCOUNT";
        fail(type, p.error, "unavailable", 503, { account: p.account, stream: p.stream, consumer: p.consumer });
        if (!opts.details) break;
      }
    }
  }
  if (opts.details) health.status = (health.errors?.length ?? 0) > 0 ? "error" : "ok";
  if (code === 0) code = health.error !== undefined || (health.errors?.length ?? 0) > 0 ? 503 : 200;
  return { ...health, status_code: code };
}
