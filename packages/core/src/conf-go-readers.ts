import { ConfError, confPosition, parseDuration, type ConfMap, type ConfValue } from "./conf/index.js";

/**
 * Typed readers for conf-file blocks that report a wrong type the way the Go server does
 * (`interface conversion: interface {} is int64, not string`), with the value's file:line:col.
 * Shared by the packages that parse their own blocks (websocket, mqtt).
 */
export function confFail(container: object, key: string, reason: string): never {
  const pos = confPosition(container, key);
  throw new ConfError(pos?.file ?? "", pos?.line ?? 0, pos?.column ?? 0, reason);
}

export function isConfMap(v: ConfValue): v is ConfMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The Go type name a conf value decodes to, as Go's errors print it. */
export function goTypeName(v: ConfValue): string {
  if (Array.isArray(v)) return "[]interface {}";
  if (isConfMap(v)) return "map[string]interface {}";
  if (typeof v === "number") return Number.isInteger(v) ? "int64" : "float64";
  return typeof v;
}

export const confString = (m: ConfMap, k: string, v: ConfValue): string =>
  typeof v === "string" ? v : confFail(m, k, `interface conversion: interface {} is ${goTypeName(v)}, not string`);
export const confBool = (m: ConfMap, k: string, v: ConfValue): boolean =>
  typeof v === "boolean" ? v : confFail(m, k, `interface conversion: interface {} is ${goTypeName(v)}, not bool`);
export const confInt = (m: ConfMap, k: string, v: ConfValue): number =>
  typeof v === "number" && Number.isInteger(v) ? v : confFail(m, k, `interface conversion: interface {} is ${goTypeName(v)}, not int64`);

/** A Go duration string or a number of seconds, as milliseconds; `what` names the field in errors. */
export function confDuration(m: ConfMap, k: string, v: ConfValue, what: string): number {
  if (typeof v === "number") return v * 1000;
  if (typeof v !== "string") confFail(m, k, `error parsing ${what}: unsupported type ${goTypeName(v)}`);
  try {
    return parseDuration(v as string);
  } catch (e) {
    return confFail(m, k, (e as Error).message);
  }
}

/** A listener block's own `authorization { user, password, token, timeout }` (websocket, mqtt). */
export interface ListenerAuthorization {
  user?: string;
  password?: string;
  token?: string;
  /** Seconds. */
  timeout?: number;
}

export function listenerAuthorizationFromConf(m: ConfMap): ListenerAuthorization {
  const out: ListenerAuthorization = {};
  for (const [k, v] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "user":
      case "username":
        out.user = confString(m, k, v);
        break;
      case "pass":
      case "password":
        out.password = confString(m, k, v);
        break;
      case "token":
        out.token = confString(m, k, v);
        break;
      case "timeout":
        out.timeout = typeof v === "number" ? v : confDuration(m, k, v, "auth timeout") / 1000;
        break;
      default:
        confFail(m, k, `unknown field "${k}"`);
    }
  }
  return out;
}
