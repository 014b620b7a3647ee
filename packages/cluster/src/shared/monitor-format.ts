// How Go's monitoring endpoints print times (/routez, /leafz, /gatewayz).

/**
 * Elapsed time as Go's monitoring prints uptime and idle: `1d2h3m4s`, whole seconds.
 *
 * @example
 * uptime(90_500); // "1m30s"
 */
export function uptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (d > 0) return `${d}d${h % 24}h${m % 60}m${s % 60}s`;
  if (h > 0) return `${h}h${m % 60}m${s % 60}s`;
  if (m > 0) return `${m}m${s % 60}s`;
  return `${s}s`;
}

/**
 * Milliseconds (fractions allowed) as Go's time.Duration prints them, e.g. a round trip time.
 *
 * @example
 * goDuration(1.2345); // "1.2345ms"
 */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  const ns = Math.round(ms * 1e6);
  if (ns < 1_000) return `${ns}ns`;
  if (ns < 1_000_000) return `${trim(ns / 1_000)}µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000)}ms`;
  const total = ns / 1e9;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = `${trim(total % 60)}s`;
  return h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
}

function trim(n: number): string {
  return String(Number(n.toFixed(6)));
}
