import { DEFAULT_LEAF_PORT } from "./constants.js";

/**
 * Parses one remote URL of `leafnodes { remotes [{ url }] }` (Go's parseURL for "leafnode"):
 * `nats-leaf://`, `nats://` or `tls://`, with optional user info. Returns Go's error text for
 * what can not be parsed; WebSocket URLs are refused (not supported by nats-ts leaf nodes).
 *
 * @example
 * parseLeafUrl("nats-leaf://user:pwd@hub.example.com:7422").port; // "7422"
 */
export function parseLeafUrl(text: string): URL | string {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return `error parsing leafnode url [${JSON.stringify(trimmed)}]`;
  }
  if (url.protocol === "ws:" || url.protocol === "wss:") return `websocket leafnode remotes are not supported: ${JSON.stringify(trimmed)}`;
  if (url.hostname === "") return `error parsing leafnode url [${JSON.stringify(trimmed)}]`;
  return url;
}

/** host:port of a remote URL, the port defaulting to Go's leaf node port. */
export function urlHostPort(url: URL): { host: string; port: number } {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return { host, port: url.port === "" ? DEFAULT_LEAF_PORT : Number(url.port) };
}

/** A URL as Go logs and reports it: without the user info. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** The user name and password a URL carries (decoded), if any. */
export function urlCredentials(url: URL): { user: string; password?: string } | undefined {
  if (url.username === "") return undefined;
  const user = decodeURIComponent(url.username);
  // Go tells "user:" (empty password) from "user" (a token).
  const hasPassword = url.password !== "" || /^[^/]*\/\/[^@/]*:[^@/]*@/.test(url.href);
  return hasPassword ? { user, password: decodeURIComponent(url.password) } : { user };
}
