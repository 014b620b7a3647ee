/** Where a key (or array element) was written in the config source. */
export interface ConfPosition {
  file: string;
  line: number;
  column: number;
}

/** Non-enumerable, so parsed maps stay plain data for JSON, spreads and equality checks. */
const POSITIONS = Symbol("nats-ts.conf.positions");

type Positioned = { [POSITIONS]?: Map<string, ConfPosition> };

/**
 * The position of `key` in a map (or of element `key` in an array) returned by
 * the conf parser; undefined for objects the parser did not produce.
 *
 * @example
 * const conf = parseConf("port: 4222", { file: "nats.conf" });
 * confPosition(conf, "port"); // { file: "nats.conf", line: 1, column: 1 }
 */
export function confPosition(container: object, key: string | number): ConfPosition | undefined {
  return (container as Positioned)[POSITIONS]?.get(String(key));
}

export function recordPosition(container: object, key: string | number, position: ConfPosition): void {
  let byKey = (container as Positioned)[POSITIONS];
  if (!byKey) {
    byKey = new Map();
    Object.defineProperty(container, POSITIONS, { value: byKey });
  }
  byKey.set(String(key), position);
}

const USED_AS_VARIABLE = Symbol("nats-ts.conf.used-as-variable");

type Referenced = { [USED_AS_VARIABLE]?: Set<string> };

/**
 * Whether the value of `key` in a parsed map was referenced as `$key` later in
 * the config. The Go server does not report such keys as unknown fields: they
 * are variable definitions.
 *
 * @example
 * const conf = parseConf("PORT = 4222\nport = $PORT");
 * confKeyUsedAsVariable(conf, "PORT"); // true
 */
export function confKeyUsedAsVariable(map: object, key: string): boolean {
  return (map as Referenced)[USED_AS_VARIABLE]?.has(key) ?? false;
}

export function markUsedAsVariable(map: object, key: string): void {
  let keys = (map as Referenced)[USED_AS_VARIABLE];
  if (!keys) {
    keys = new Set();
    Object.defineProperty(map, USED_AS_VARIABLE, { value: keys });
  }
  keys.add(key);
}
