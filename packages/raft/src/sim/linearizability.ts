/**
 * Linearizability checking in the style of Wing & Gong with Lowe's memoization (the
 * algorithm Porcupine uses): search for an order of operations that respects real time
 * and the sequential model, caching (linearized set, state) pairs already explored.
 */

/** A sequential specification. `step` returns the next state, or undefined if illegal. */
export interface Model<State, Input, Output> {
  init(): State;
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /** A string identifying a state, for the memo cache. */
  key(state: State): string;
}

/** One completed or pending operation. A pending one has `ret = Infinity` and no output. */
export interface Operation<Input, Output> {
  call: number;
  ret: number;
  input: Input;
  output?: Output;
}

interface Node {
  op: number;
  isCall: boolean;
  time: number;
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

/**
 * True when the history has a linearization. `maxSteps` bounds the search; exceeding it
 * throws so a checker never silently passes.
 *
 * @example
 * isLinearizable(registerModel, [
 *   { call: 0, ret: 2, input: { kind: "put", value: "1" } },
 *   { call: 1, ret: 3, input: { kind: "get" }, output: "1" },
 * ]); // true: the read may follow the concurrent write
 */
export function isLinearizable<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  maxSteps = 5_000_000,
): boolean {
  if (ops.length === 0) return true;
  const events: Node[] = [];
  ops.forEach((op, i) => {
    const call: Node = { op: i, isCall: true, time: op.call, match: null, prev: null, next: null };
    const ret: Node = { op: i, isCall: false, time: op.ret, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  // Calls sort before returns at the same instant: such operations count as concurrent.
  events.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Node = { op: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (n: Node): void => {
    n.prev!.next = n.next;
    if (n.next) n.next.prev = n.prev;
    const r = n.match!;
    r.prev!.next = r.next;
    if (r.next) r.next.prev = r.prev;
  };
  const unlift = (n: Node): void => {
    const r = n.match!;
    r.prev!.next = r;
    if (r.next) r.next.prev = r;
    n.prev!.next = n;
    if (n.next) n.next.prev = n;
  };

  const linearized = new Uint8Array(ops.length);
  const cache = new Set<string>();
  const stack: { node: Node; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > maxSteps) throw new Error(`linearizability search exceeded ${maxSteps} steps`);
    if (entry === null) throw new Error("linearizability search ran off the history");
    if (entry.isCall) {
      const op = ops[entry.op];
      const next = model.step(state, op.input, op.output);
      if (next !== undefined) {
        linearized[entry.op] = 1;
        const key = `${bitsKey(linearized)}|${model.key(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ node: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry.op] = 0;
      }
      entry = entry.next;
    } else {
      const top = stack.pop();
      if (!top) return false;
      state = top.state;
      linearized[top.node.op] = 0;
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return true;
}

function bitsKey(bits: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bits.length; i += 16) {
    let word = 0;
    for (let j = i; j < Math.min(i + 16, bits.length); j++) word = (word << 1) | bits[j];
    s += String.fromCharCode(word);
  }
  return s;
}

/** Input of a register operation: write a value or read. */
export type RegisterInput = { kind: "put"; value: string } | { kind: "get" };

/** A single key's register; reads return the last written value or null. */
export const registerModel: Model<string | null, RegisterInput, string | null> = {
  init: () => null,
  step(state, input, output) {
    if (input.kind === "put") return input.value;
    if (output === undefined) return state;
    return output === state ? state : undefined;
  },
  key: (state) => (state === null ? "\u0000" : state),
};

/** A key-value history, checked one key at a time (linearizability composes per object). */
export interface KvOperation extends Operation<RegisterInput, string | null> {
  key: string;
}

/**
 * Keys whose sub-history is not linearizable (empty when the whole history is).
 *
 * @example
 * checkKvHistory([{ key: "k", call: 0, ret: 1, input: { kind: "get" }, output: "never written" }]); // ["k"]
 */
export function checkKvHistory(ops: readonly KvOperation[]): string[] {
  const byKey = new Map<string, KvOperation[]>();
  for (const op of ops) {
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  const bad: string[] = [];
  for (const [key, list] of [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!isLinearizable(registerModel, list)) bad.push(key);
  }
  return bad;
}
