/**
 * Serializers for every client-protocol operation.
 *
 * Control-only operations return strings (cheap to build, and a connection's pending
 * output can hold strings and Buffers alike); operations carrying a payload return one
 * Buffer with the whole frame. MSG/HMSG are split into a head string plus the payload
 * the server already holds, so fan-out never copies the payload per subscriber.
 */

/** "PING\r\n". Shared: never write into it. */
export const PING: Buffer = Buffer.from("PING\r\n");
/** "PONG\r\n". Shared: never write into it. */
export const PONG: Buffer = Buffer.from("PONG\r\n");
/** "+OK\r\n". Shared: never write into it. */
export const OK: Buffer = Buffer.from("+OK\r\n");
/** "\r\n", the terminator written after each MSG/HMSG payload. Shared: never write into it. */
export const CRLF: Buffer = Buffer.from("\r\n");

/**
 * `INFO {...}\r\n`.
 * @example encodeInfo({ server_id: "x", max_payload: 1048576 }) // 'INFO {"server_id":"x","max_payload":1048576}\r\n'
 */
export function encodeInfo(info: object): string {
  return `INFO ${JSON.stringify(info)}\r\n`;
}

/**
 * `CONNECT {...}\r\n`.
 * @example encodeConnect({ verbose: false, headers: true })
 */
export function encodeConnect(opts: object): string {
  return `CONNECT ${JSON.stringify(opts)}\r\n`;
}

/**
 * A whole PUB frame: `PUB subject [reply] size\r\n<payload>\r\n`.
 * @example encodePub("foo", undefined, Buffer.from("hi")) // PUB foo 2\r\nhi\r\n
 */
export function encodePub(subject: string, reply: string | undefined, payload: Uint8Array): Buffer {
  const head = reply ? `PUB ${subject} ${reply} ${payload.length}\r\n` : `PUB ${subject} ${payload.length}\r\n`;
  return frame(head, undefined, payload);
}

/**
 * A whole HPUB frame: `HPUB subject [reply] hdr_size total_size\r\n<headers><payload>\r\n`.
 * @example encodeHpub("foo", undefined, encodeHeaders(h), Buffer.from("hi"))
 */
export function encodeHpub(subject: string, reply: string | undefined, headers: Uint8Array, payload: Uint8Array): Buffer {
  const total = headers.length + payload.length;
  const head = reply
    ? `HPUB ${subject} ${reply} ${headers.length} ${total}\r\n`
    : `HPUB ${subject} ${headers.length} ${total}\r\n`;
  return frame(head, headers, payload);
}

/**
 * `SUB subject [queue] sid\r\n`.
 * @example encodeSub("foo.*", "workers", "1") // "SUB foo.* workers 1\r\n"
 */
export function encodeSub(subject: string, queue: string | undefined, sid: string | number): string {
  return queue ? `SUB ${subject} ${queue} ${sid}\r\n` : `SUB ${subject} ${sid}\r\n`;
}

/**
 * `UNSUB sid [max]\r\n`.
 * @example encodeUnsub("1", 10) // "UNSUB 1 10\r\n"
 */
export function encodeUnsub(sid: string | number, max?: number): string {
  return max === undefined ? `UNSUB ${sid}\r\n` : `UNSUB ${sid} ${max}\r\n`;
}

/**
 * The control line of a MSG: `MSG subject sid [reply] size\r\n`; write the payload and
 * CRLF after it.
 * @example encodeMsgHead("foo", "1", undefined, 2) // "MSG foo 1 2\r\n"
 */
export function encodeMsgHead(subject: string, sid: string, reply: string | undefined, size: number): string {
  return reply ? `MSG ${subject} ${sid} ${reply} ${size}\r\n` : `MSG ${subject} ${sid} ${size}\r\n`;
}

/**
 * The control line of an HMSG: `HMSG subject sid [reply] hdr_size total_size\r\n`.
 * @example encodeHmsgHead("foo", "1", undefined, 12, 14) // "HMSG foo 1 12 14\r\n"
 */
export function encodeHmsgHead(subject: string, sid: string, reply: string | undefined, headerSize: number, totalSize: number): string {
  return reply
    ? `HMSG ${subject} ${sid} ${reply} ${headerSize} ${totalSize}\r\n`
    : `HMSG ${subject} ${sid} ${headerSize} ${totalSize}\r\n`;
}

/**
 * A whole MSG frame (tests, tools); servers should prefer encodeMsgHead + payload + CRLF.
 * @example encodeMsg("foo", "1", undefined, Buffer.from("hi")) // MSG foo 1 2\r\nhi\r\n
 */
export function encodeMsg(subject: string, sid: string, reply: string | undefined, payload: Uint8Array): Buffer {
  return frame(encodeMsgHead(subject, sid, reply, payload.length), undefined, payload);
}

/**
 * A whole HMSG frame (tests, tools).
 * @example encodeHmsg("foo", "1", undefined, statusHeaders(503), Buffer.alloc(0))
 */
export function encodeHmsg(subject: string, sid: string, reply: string | undefined, headers: Uint8Array, payload: Uint8Array): Buffer {
  const head = encodeHmsgHead(subject, sid, reply, headers.length, headers.length + payload.length);
  return frame(head, headers, payload);
}

/**
 * `-ERR 'text'\r\n`.
 * @example encodeErr("Unknown Protocol Operation") // "-ERR 'Unknown Protocol Operation'\r\n"
 */
export function encodeErr(text: string): string {
  return `-ERR '${text}'\r\n`;
}

function frame(head: string, headers: Uint8Array | undefined, payload: Uint8Array): Buffer {
  const headLen = Buffer.byteLength(head);
  const hdrLen = headers ? headers.length : 0;
  const out = Buffer.allocUnsafe(headLen + hdrLen + payload.length + 2);
  out.write(head, 0, headLen, "utf8");
  if (headers) out.set(headers, headLen);
  out.set(payload, headLen + hdrLen);
  const end = headLen + hdrLen + payload.length;
  out[end] = 0x0d;
  out[end + 1] = 0x0a;
  return out;
}

/**
 * The control line of a message sent to another server, without the payload:
 * `RMSG account subject [+ reply q1 ... | q1 ...] size\r\n` on routes and gateways (give the
 * account), `LMSG subject ... size\r\n` on leaf connections (no account); with headers the op
 * is HMSG and the header size precedes the total size (`headerSize` < 0 for none).
 *
 * @example
 * peerMsgHead("$G", "foo", "_INBOX.1", ["q"], -1, 5)       // RMSG $G foo + _INBOX.1 q 5\r\n
 * peerMsgHead(undefined, "foo", undefined, [], 12, 17)     // HMSG foo 12 17\r\n
 */
export function peerMsgHead(
  account: string | undefined,
  subject: string,
  reply: string | undefined,
  queues: readonly string[],
  headerSize: number,
  size: number,
): string {
  const op = headerSize >= 0 ? "HMSG" : account === undefined ? "LMSG" : "RMSG";
  let line = account === undefined ? `${op} ${subject}` : `${op} ${account} ${subject}`;
  if (queues.length > 0) line += reply === undefined ? ` | ${queues.join(" ")}` : ` + ${reply} ${queues.join(" ")}`;
  else if (reply !== undefined) line += ` ${reply}`;
  return headerSize >= 0 ? `${line} ${headerSize} ${size}\r\n` : `${line} ${size}\r\n`;
}
