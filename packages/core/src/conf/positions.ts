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
