/** Ack reply subjects and the durations acks may carry. */

/** Reads `$JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>` (or the 11+ token v2 form). */
export function parseAckReply(subject: string): { dc: number; sseq: number; dseq: number; pending: number } | undefined {
  if (!subject.startsWith("$JS.ACK.")) return undefined;
  // The five numbers are the last tokens: <dc>.<sseq>.<dseq>.<ts>.<pending> (v1: 9 tokens, v2: 11+).
  let tokens = 1;
  for (let i = 0; i < subject.length; i++) if (subject.charCodeAt(i) === 46) tokens++;
  if (tokens !== 9 && tokens < 11) return undefined;
  const nums = [0, 0, 0, 0, 0];
  let end = subject.length;
  for (let k = 4; k >= 0; k--) {
    const dot = subject.lastIndexOf(".", end - 1);
    nums[k] = digits(subject, dot + 1, end);
    end = dot;
  }
  if (tokens >= 11) {
    // v2 may carry extra tokens after the five numbers: take them from their fixed place instead
    const t = subject.split(".");
    for (let k = 0; k < 5; k++) nums[k] = digits(t[6 + k], 0, t[6 + k].length);
  }
  const [dc, sseq, dseq, , pending] = nums;
  if (dc < 0 || sseq < 0 || dseq < 0) return undefined;
  return { dc, sseq, dseq, pending };
}

/** Decimal value of s[from, to), or -1 when empty or not all digits. */
function digits(s: string, from: number, to: number): number {
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const GO_UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration ("1.5s", "2m30s"); throws on bad input. */
export function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  const neg = s.startsWith("-");
  const body = neg || s.startsWith("+") ? s.slice(1) : s;
  if (body === "0") return 0;
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * GO_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== body.length || body.length === 0) throw new Error(`time: invalid duration ${JSON.stringify(s)}`);
  return neg ? -total : total;
}


/**
 * The numbers after an ack subject's known `$JS.ACK.<stream>.<consumer>.` prefix, read in one
 * pass from `from`: the hot path for acks on a consumer's own subscription.
 */
export function parseAckTail(subject: string, from: number): { dc: number; sseq: number; dseq: number } | undefined {
  let i = from;
  const n = subject.length;
  const out = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    let v = 0;
    const start = i;
    for (; i < n; i++) {
      const c = subject.charCodeAt(i);
      if (c === 46) break;
      const d = c - 48;
      if (d < 0 || d > 9) return undefined;
      v = v * 10 + d;
    }
    if (i === start || i >= n) return undefined;
    out[k] = v;
    i++;
  }
  return { dc: out[0], sseq: out[1], dseq: out[2] };
}
