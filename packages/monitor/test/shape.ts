/**
 * Compares the shape of two JSON values: the same keys at every level, with the same JSON types.
 * Array elements are merged into one union shape per array, so optional (omitempty) keys that
 * appear on some elements only are still compared.
 */

type Shape = { kind: "object"; keys: Map<string, Shape> } | { kind: "array"; of: Shape | undefined } | { kind: "scalar"; type: string } | { kind: "null" };

function shapeOf(v: unknown): Shape {
  if (v === null) return { kind: "null" };
  if (Array.isArray(v)) {
    let of: Shape | undefined;
    for (const e of v) of = of === undefined ? shapeOf(e) : merge(of, shapeOf(e));
    return { kind: "array", of };
  }
  if (typeof v === "object") {
    const keys = new Map<string, Shape>();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) keys.set(k, shapeOf(x));
    return { kind: "object", keys };
  }
  return { kind: "scalar", type: typeof v };
}

function merge(a: Shape, b: Shape): Shape {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if (a.kind === "object" && b.kind === "object") {
    const keys = new Map(a.keys);
    for (const [k, s] of b.keys) keys.set(k, keys.has(k) ? merge(keys.get(k)!, s) : s);
    return { kind: "object", keys };
  }
  if (a.kind === "array" && b.kind === "array") {
    return { kind: "array", of: a.of === undefined ? b.of : b.of === undefined ? a.of : merge(a.of, b.of) };
  }
  return a;
}

function describe(s: Shape): string {
  return s.kind === "scalar" ? s.type : s.kind;
}

/**
 * Problems found comparing ours against Go's. `missing` lists Go key paths we are allowed to lack
 * (with why, at the call site); `extra` lists key paths we add that this Go version lacks (fields
 * of newer Go versions). Paths look like `connections[].subscriptions_list_detail[].qgroup`.
 */
export function shapeDiff(go: unknown, ours: unknown, allow: { missing?: string[]; extra?: string[] } = {}): string[] {
  const problems: string[] = [];
  const missing = new Set(allow.missing ?? []);
  const extra = new Set(allow.extra ?? []);
  walk(shapeOf(go), shapeOf(ours), "", problems, missing, extra);
  return problems;
}

/** Objects keyed by data rather than by field name (Go maps): only their value types are compared. */
const MAPS = /(^|\.)http_req_stats$/;

function walk(go: Shape, ours: Shape, path: string, problems: string[], missing: Set<string>, extra: Set<string>): void {
  if (MAPS.test(path) && go.kind === "object" && ours.kind === "object") {
    const types = (s: Shape & { kind: "object" }) => new Set([...s.keys.values()].map(describe));
    for (const t of types(ours)) if (go.keys.size > 0 && !types(go).has(t)) problems.push(`${path}: Go's values are ${[...types(go)]}, ours ${t}`);
    return;
  }
  // Go writes null for an empty list or absent struct pointer: any shape of ours fits.
  if (go.kind === "null" || ours.kind === "null") return;
  if (go.kind !== ours.kind || (go.kind === "scalar" && ours.kind === "scalar" && go.type !== ours.type)) {
    problems.push(`${path || "(root)"}: Go has ${describe(go)}, ours ${describe(ours)}`);
    return;
  }
  if (go.kind === "array" && ours.kind === "array") {
    if (go.of !== undefined && ours.of !== undefined) walk(go.of, ours.of, `${path}[]`, problems, missing, extra);
    return;
  }
  if (go.kind === "object" && ours.kind === "object") {
    for (const [k, s] of go.keys) {
      const p = path === "" ? k : `${path}.${k}`;
      const o = ours.keys.get(k);
      if (o === undefined) {
        if (!missing.has(p)) problems.push(`${p}: missing in ours`);
      } else walk(s, o, p, problems, missing, extra);
    }
    for (const k of ours.keys.keys()) {
      const p = path === "" ? k : `${path}.${k}`;
      if (!go.keys.has(k) && !extra.has(p)) problems.push(`${p}: not in Go's output`);
    }
  }
}
