/** Where a key (or array element) was written in the config source. */
export interface ConfPosition {
  file: string;
  line: number;
  column: number;
}

const positions = new WeakMap<object, Map<string, ConfPosition>>();

/**
 * The position of `key` in a map (or of element `key` in an array) returned by
 * the conf parser; undefined for objects the parser did not produce.
 *
 * @example
 * const conf = parseConf("port: 4222", { file: "nats.conf" });
 * confPosition(conf, "port"); // { file: "nats.conf", line: 1, column: 1 }
 */
export function confPosition(container: object, key: string | number): ConfPosition | undefined {
  return positions.get(container)?.get(String(key));
}

export function recordPosition(container: object, key: string | number, position: ConfPosition): void {
  let byKey = positions.get(container);
  if (!byKey) {
    byKey = new Map();
    positions.set(container, byKey);
  }
  byKey.set(String(key), position);
}
