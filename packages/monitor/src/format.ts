import { formatGoDuration } from "@nats-ts/core";

/**
 * Go's JSON encodings for the values monitoring reports, so Go clients parse ours unchanged.
 */

/** A time as Go's encoding/json writes time.Time (RFC 3339, fraction without trailing zeros, UTC). */
export function goTime(d: Date): string {
  const iso = d.toISOString();
  const dot = iso.indexOf(".");
  const fraction = iso.slice(dot + 1, -1).replace(/0+$/, "");
  return fraction === "" ? `${iso.slice(0, dot)}Z` : `${iso.slice(0, dot)}.${fraction}Z`;
}

/** Milliseconds as Go's time.Duration JSON: integer nanoseconds. */
export function goNanos(ms: number): number {
  return Math.round(ms * 1e6);
}

/**
 * A short duration (a round-trip time) as Go's time.Duration.String() prints it after monitoring's
 * truncation: whole microseconds between 1µs and 1ms, whole nanoseconds otherwise.
 */
export function goDurationString(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns <= 0) return "0s";
  if (ns > 1000 && ns < 1_000_000) ns -= ns % 1000;
  const trim = (n: number, digits: number) => n.toFixed(digits).replace(/\.?0+$/, "");
  if (ns < 1000) return `${ns}ns`;
  if (ns < 1_000_000) return `${trim(ns / 1e3, 3)}µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1e6, 6)}ms`;
  return formatGoDuration(ns / 1e6);
}

/** Elapsed time the way Go's monitoring prints uptime and idle: `1y2d3h4m5s`, whole seconds. */
export function goUptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

/** A connection kind as /connz names it ("CLIENT" -> "Client"). */
export function kindName(kind: string): string {
  switch (kind) {
    case "CLIENT":
      return "Client";
    case "ROUTER":
      return "Router";
    case "GATEWAY":
      return "Gateway";
    case "LEAF":
      return "Leafnode";
    case "JETSTREAM":
      return "JetStream";
    case "ACCOUNT":
      return "Account";
    case "SYSTEM":
      return "System";
    default:
      return "Unknown Type";
  }
}

/** Go's json.MarshalIndent(v, "", "  "), which every HTTP endpoint uses. */
export function indentJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
