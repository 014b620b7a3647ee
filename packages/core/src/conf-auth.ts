import { confKeyUsedAsVariable, parseDuration, type ConfMap, type ConfValue } from "./conf/index.js";
import {
  asBool,
  asInt,
  asMap,
  asSecondsOrDuration,
  asString,
  asStringArray,
  describe,
  isMap,
  type BlockReader,
} from "./conf-values.js";

// Go's conf keys for authorization, permissions, accounts, mappings and TLS (opts.go), read into
// the camelCase option shapes of auth-options.ts. Unknown keys are reported through the reader.

type Obj = Record<string, unknown>;

function subjectPermission(m: ConfMap, key: string, v: ConfValue, r: BlockReader): Obj | undefined {
  if (!isMap(v)) return { allow: asStringArray(m, key, v) };
  if (Object.keys(v).length === 0) return undefined;
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "allow":
        out.allow = asStringArray(v, k, val);
        break;
      case "deny":
        out.deny = asStringArray(v, k, val);
        break;
      default:
        r.fail(v, k, `Unknown field name "${k}" parsing subject permissions, only 'allow' or 'deny' are permitted`);
    }
  }
  return out;
}

function allowResponses(m: ConfMap, key: string, v: ConfValue, r: BlockReader): Obj | undefined {
  if (typeof v === "boolean") return v ? {} : undefined;
  if (!isMap(v)) r.fail(m, key, "error parsing response permissions, expected a boolean or a map");
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "max":
      case "max_msgs":
      case "max_messages":
      case "max_responses": {
        const n = asInt(v, k, val);
        if (n !== 0) out.maxMsgs = n;
        break;
      }
      case "expires":
      case "expiration":
      case "ttl": {
        if (typeof val !== "string") r.fail(v, k, "error parsing expires, not a duration string");
        let ms: number;
        try {
          ms = parseDuration(val);
        } catch (e) {
          r.fail(v, k, `error parsing expires: ${(e as Error).message}`);
        }
        if (ms !== 0) out.expires = ms;
        break;
      }
      default:
        r.fail(v, k, `Unknown field "${k}" parsing permissions`);
    }
  }
  return out;
}

/** Go's parseUserPermissions. */
export function permissionsFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Obj {
  const m = asMap(container, key, v, "permissions");
  const out: Obj = {};
  for (const [k, val] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "pub":
      case "publish":
      case "import":
        out.publish = subjectPermission(m, k, val, r);
        break;
      case "sub":
      case "subscribe":
      case "export":
        out.subscribe = subjectPermission(m, k, val, r);
        break;
      case "publish_allow_responses":
      case "allow_responses":
        out.allowResponses = allowResponses(m, k, val, r);
        break;
      default:
        r.fail(m, k, `Unknown field "${k}" parsing permissions`);
    }
  }
  return out;
}

/** Go's parseUsers: user/password or nkey entries with optional permissions. */
export function usersFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Obj[] {
  if (!Array.isArray(v)) r.fail(container, key, `Expected users field to be an array, got ${describe(v)}`);
  return v.map((u, i) => {
    if (!isMap(u)) r.fail(v, i, `Expected user entry to be a map/struct, got ${describe(u)}`);
    const out: Obj = {};
    for (const [k, val] of Object.entries(u)) {
      switch (k.toLowerCase()) {
        case "nkey":
          out.nkey = asString(u, k, val);
          break;
        case "user":
        case "username":
          out.user = asString(u, k, val);
          break;
        case "pass":
        case "password":
          out.password = asString(u, k, val);
          break;
        case "permission":
        case "permissions":
        case "authorization":
          out.permissions = permissionsFromConf(u, k, val, r);
          break;
        case "allowed_connection_types":
        case "connection_types":
        case "clients":
          out.allowedConnectionTypes = asStringArray(u, k, val);
          break;
        case "proxy_required":
          asBool(u, k, val);
          break;
        default:
          r.unknownInBlock(u, k);
      }
    }
    if (out.nkey === undefined && out.user === undefined) r.fail(v, i, "User entry requires a user");
    if (out.nkey !== undefined && (out.user !== undefined || out.password !== undefined)) r.fail(v, i, "Nkey users do not take usernames or passwords");
    return out;
  });
}

/** Go's parseAuthorization: `{ token | user/password | users [...] , timeout, default_permissions }`. */
export function authorizationFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Obj {
  const m = asMap(container, key, v, "authorization");
  const out: Obj = {};
  for (const [k, val] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "user":
      case "username":
        out.user = asString(m, k, val);
        break;
      case "pass":
      case "password":
        out.password = asString(m, k, val);
        break;
      case "token":
        out.token = asString(m, k, val);
        break;
      case "timeout":
        if (typeof val !== "number" && typeof val !== "string") r.fail(m, k, "error parsing authorization config, 'timeout' wrong type");
        out.timeout = asSecondsOrDuration(m, k, val) / 1000;
        break;
      case "users":
        out.users = usersFromConf(m, k, val, r);
        break;
      case "default_permission":
      case "default_permissions":
      case "permissions":
        out.defaultPermissions = permissionsFromConf(m, k, val, r);
        break;
      case "auth_callout":
      case "auth_hook":
        // Ignoring it would let every client in: refuse the config instead.
        r.fail(m, k, "'auth_callout' is not supported by nats-ts yet");
        break;
      default:
        r.unknownInBlock(m, k);
    }
  }
  return out;
}

function mappingDestination(container: object, key: string | number, v: ConfValue, r: BlockReader): Obj {
  if (!isMap(v)) r.fail(container, key, "Expected an entry for the mapping destination");
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "dest":
      case "destination":
        out.destination = asString(v, k, val);
        break;
      case "weight": {
        let w: number;
        if (typeof val === "string") {
          const s = val.endsWith("%") ? val.slice(0, -1) : val;
          if (!/^[+-]?\d+$/.test(s)) r.fail(v, k, `Invalid weight "${s}" for mapping destination`);
          w = Number(s);
        } else if (typeof val === "number" && Number.isInteger(val)) {
          w = val;
        } else {
          r.fail(v, k, `Unknown entry type for weight of ${String(val)}\n`);
        }
        if (w > 100 || w < 0) r.fail(v, k, `Invalid weight ${w} for mapping destination`);
        out.weight = w;
        break;
      }
      case "cluster":
        out.cluster = asString(v, k, val);
        break;
      default:
        r.fail(v, k, `Unknown field "${k}" for mapping destination`);
    }
  }
  if (out.weight === undefined) r.fail(container, key, `Missing weight for mapping destination "${String(out.destination ?? "")}"`);
  return out;
}

/** Go's parseAccountMappings: `src: dest`, `src: {dest, weight}` or `src: [{dest, weight} ...]`. */
export function mappingsFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Record<string, unknown> {
  const m = asMap(container, key, v, "mappings");
  const out: Record<string, unknown> = {};
  for (const [src, val] of Object.entries(m)) {
    if (typeof val === "string") out[src] = val;
    else if (Array.isArray(val)) out[src] = val.map((d, i) => mappingDestination(val, i, d, r));
    else out[src] = [mappingDestination(m, src, val, r)];
  }
  return out;
}

function accountSubject(container: object, key: string, v: ConfValue, what: "Stream" | "Service", r: BlockReader): Obj {
  if (!isMap(v)) r.fail(container, key, `${what} entry should be an account map, got ${describe(v)}`);
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    const lk = k.toLowerCase();
    if (lk === "account") out.account = asString(v, k, val);
    else if (lk === "subject") out.subject = asString(v, k, val);
    else r.unknownInBlock(v, k);
  }
  if (!out.account || !out.subject) r.fail(container, key, "Expect an account name and a subject");
  return out;
}

const RESPONSE_TYPES: Record<string, string> = { single: "singleton", singleton: "singleton", stream: "stream", chunk: "chunked", chunked: "chunked" };

function exportFromConf(container: object, i: number, v: ConfValue, r: BlockReader): Obj {
  if (!isMap(v)) r.fail(container, i, `Export Items should be a map with type entry, got ${describe(v)}`);
  const out: Obj = {};
  let responseKey: string | undefined;
  for (const [k, val] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "stream":
        if (out.service !== undefined) r.fail(v, k, `Detected stream "${String(val)}" but already saw a service`);
        if (typeof val !== "string") r.fail(v, k, `Expected stream name to be string, got ${describe(val)}`);
        out.stream = val;
        break;
      case "service":
        if (out.stream !== undefined) r.fail(v, k, `Detected service "${String(val)}" but already saw a stream`);
        if (typeof val !== "string") r.fail(v, k, `Expected service name to be string, got ${describe(val)}`);
        out.service = val;
        break;
      case "response":
      case "response_type": {
        responseKey = k;
        if (typeof val !== "string") r.fail(v, k, `Expected response type to be string, got ${describe(val)}`);
        const t = RESPONSE_TYPES[val.toLowerCase()];
        if (t === undefined) r.fail(v, k, `Unknown response type: "${val}"`);
        out.responseType = t;
        break;
      }
      case "threshold":
      case "response_threshold":
      case "response_max_time":
      case "response_time":
        responseKey = k;
        if (typeof val !== "string") r.fail(v, k, `Expected response threshold to be a parseable time duration, got ${describe(val)}`);
        out.responseThreshold = asSecondsOrDuration(v, k, val);
        break;
      case "accounts":
        out.accounts = asStringArray(v, k, val);
        break;
      case "account_token_position":
        out.accountTokenPosition = asInt(v, k, val);
        break;
      case "latency":
      case "allow_trace":
        // Service latency tracking and message tracing: accepted, not used yet.
        break;
      default:
        r.unknownInBlock(v, k);
    }
  }
  if (out.stream !== undefined && responseKey !== undefined) r.fail(v, responseKey, "Detected response directive on non-service");
  return out;
}

function importFromConf(container: object, i: number, v: ConfValue, r: BlockReader): Obj {
  if (!isMap(v)) r.fail(container, i, `Import Items should be a map with type entry, got ${describe(v)}`);
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "stream":
        if (out.service !== undefined) r.fail(v, k, "Detected stream but already saw a service");
        out.stream = accountSubject(v, k, val, "Stream", r);
        break;
      case "service":
        if (out.stream !== undefined) r.fail(v, k, "Detected service but already saw a stream");
        out.service = accountSubject(v, k, val, "Service", r);
        break;
      case "prefix":
        out.prefix = asString(v, k, val);
        break;
      case "to":
        out.to = asString(v, k, val);
        break;
      case "share":
        out.share = asBool(v, k, val);
        break;
      case "allow_trace":
        break;
      default:
        r.unknownInBlock(v, k);
    }
  }
  if (out.stream !== undefined && out.prefix !== undefined && out.to !== undefined) {
    r.fail(v, "to", "Stream import can not have a 'prefix' and a 'to' property");
  }
  if (out.service !== undefined) delete out.prefix;
  return out;
}

function limitsFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Obj {
  if (!isMap(v)) r.fail(container, key, `Expected account limits to be a map/struct, got ${describe(v)}`);
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "max_connections":
      case "max_conn":
        out.maxConnections = asInt(v, k, val);
        break;
      case "max_subscriptions":
      case "max_subs":
        out.maxSubscriptions = asInt(v, k, val);
        break;
      case "max_payload":
      case "max_pay":
        out.maxPayload = asInt(v, k, val);
        break;
      case "max_leafnodes":
      case "max_leafs":
        out.maxLeafnodes = asInt(v, k, val);
        break;
      default:
        r.fail(v, k, `Unknown field "${k}" parsing account limits`);
    }
  }
  return out;
}

/** Go's parseAccounts: `accounts [A, B]` or `accounts { A: { users, exports, imports, mappings, limits ... } }`. */
export function accountsFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      const n = asString(v, i, name);
      if (n === "$G") r.fail(v, i, `"${n}" is a Reserved Account`);
      if (out[n] !== undefined) r.fail(v, i, `Duplicate Account Entry: ${n}`);
      out[n] = {};
    });
    return out;
  }
  const m = asMap(container, key, v, "accounts");
  for (const [name, val] of Object.entries(m)) {
    // A variable defined inside the block is not an account.
    if (confKeyUsedAsVariable(m, name)) continue;
    if (!isMap(val)) r.fail(m, name, "Expected map entries for accounts");
    if (name === "$G") r.fail(m, name, `"${name}" is a Reserved Account`);
    const acc: Obj = {};
    for (const [k, field] of Object.entries(val)) {
      switch (k.toLowerCase()) {
        case "nkey":
          acc.nkey = asString(val, k, field);
          if (!/^A[A-Z2-7]{55}$/.test(acc.nkey as string)) r.fail(val, k, `Not a valid public nkey for an account: "${String(field)}"`);
          break;
        case "users":
          acc.users = usersFromConf(val, k, field, r);
          break;
        case "default_permissions":
          acc.defaultPermissions = permissionsFromConf(val, k, field, r);
          break;
        case "exports":
          if (!Array.isArray(field)) r.fail(val, k, `Exports should be an array, got ${describe(field)}`);
          acc.exports = field.map((e, i) => exportFromConf(field, i, e, r));
          break;
        case "imports":
          if (!Array.isArray(field)) r.fail(val, k, `Imports should be an array, got ${describe(field)}`);
          acc.imports = field.map((e, i) => importFromConf(field, i, e, r));
          break;
        case "mappings":
        case "maps":
          acc.mappings = mappingsFromConf(val, k, field, r);
          break;
        case "limits":
          acc.limits = limitsFromConf(val, k, field, r);
          break;
        case "jetstream":
          acc.jetstream = isMap(field) ? { ...field } : typeof field === "string" ? field === "enabled" || field === "enable" : asBool(val, k, field);
          break;
        case "msg_trace":
        case "trace_dest":
          break;
        default:
          r.unknownInBlock(val, k);
      }
    }
    out[name] = acc;
  }
  return out;
}

/** Go's default wait before falling back from TLS-first to INFO-first ("auto"). */
const HANDSHAKE_FIRST_FALLBACK = 50;

/** `true`/`false`, `"on"`/`"off"`, `"auto"` or a fallback duration such as `"300ms"`. */
function handshakeFirstFromConf(m: ConfMap, k: string, val: ConfValue, r: BlockReader): Obj {
  if (typeof val === "boolean") return { handshakeFirst: val };
  if (typeof val !== "string") r.fail(m, k, `field "${k}" should be a boolean or a string, got ${describe(val)}`);
  switch (val.toLowerCase()) {
    case "true":
    case "on":
      return { handshakeFirst: true };
    case "false":
    case "off":
      return { handshakeFirst: false };
    case "auto":
    case "auto_fallback":
      return { handshakeFirst: true, handshakeFirstFallback: HANDSHAKE_FIRST_FALLBACK };
    default:
      try {
        return { handshakeFirst: true, handshakeFirstFallback: parseDuration(val) };
      } catch {
        r.fail(m, k, `field "${k}"'s value "${val}" is invalid`);
      }
  }
}

/** Go's parseTLS for the client listener. */
export function tlsFromConf(container: object, key: string, v: ConfValue, r: BlockReader): Obj {
  const m = asMap(container, key, v, "TLS config");
  const out: Obj = {};
  for (const [k, val] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "cert_file":
        out.certFile = asString(m, k, val);
        break;
      case "key_file":
        out.keyFile = asString(m, k, val);
        break;
      case "ca_file":
        out.caFile = asString(m, k, val);
        break;
      case "verify":
        out.verify = asBool(m, k, val);
        break;
      case "verify_and_map":
        out.verifyAndMap = asBool(m, k, val);
        break;
      case "timeout":
        out.timeout = asSecondsOrDuration(m, k, val) / 1000;
        break;
      case "handshake_first":
      case "first":
      case "immediate":
        Object.assign(out, handshakeFirstFromConf(m, k, val, r));
        break;
      case "cipher_suites":
        out.ciphers = asStringArray(m, k, val);
        break;
      case "min_version":
        out.minVersion = asString(m, k, val);
        break;
      case "curve_preferences":
      case "insecure":
      case "pinned_certs":
      case "verify_cert_and_check_known_urls":
      case "connection_rate_limit":
      case "ocsp_peer":
        break;
      default:
        r.unknownInBlock(m, k);
    }
  }
  return out;
}
