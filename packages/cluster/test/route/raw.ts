import { connect, type Socket } from "node:net";

/**
 * A raw TCP connection that speaks the protocol by hand, like Go's test/test.go helpers
 * (createRouteConn, sendProto, expectResult, expectNothing).
 */
export class RawConn {
  private buf = "";
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new RawConn(s)));
      s.once("error", reject);
    });
  }

  /** Adopts a socket the server under test dialled (a solicited route). */
  static adopt(socket: Socket): RawConn {
    return new RawConn(socket);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits for `re` in what was received, consumes up to the end of the match and returns it. */
  async expect(re: RegExp, timeout = 3000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = re.exec(this.buf);
      if (m !== null) {
        this.buf = this.buf.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed) throw new Error(`connection closed waiting for ${re}; received: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; received: ${JSON.stringify(this.buf)}`);
      await this.wait(left);
    }
  }

  /** Every complete occurrence of `re` received within `ms`, consumed. */
  async collect(re: RegExp, count: number, timeout = 3000): Promise<RegExpExecArray[]> {
    const out: RegExpExecArray[] = [];
    while (out.length < count) out.push(await this.expect(re, timeout));
    return out;
  }

  /** Nothing arrives for `ms` (Go's expectNothing). Returns what did arrive otherwise. */
  async nothing(ms = 150): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const got = this.buf;
    this.buf = "";
    return got;
  }

  /** Resolves once the server closed the connection. */
  async whenClosed(timeout = 3000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("connection still open");
      await this.wait(left);
    }
  }

  /** What is buffered and not yet consumed. */
  get pending(): string {
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

export const INFO_RE = /INFO\s+(\{[^\r\n]*\})\r\n/;
export const PONG_RE = /PONG\r\n/;
export const RSUB_RE = /RS\+\s+(\S+)\s+(\S+)(?:\s+(\S+)\s+(\d+))?\r\n/;
export const RUNSUB_RE = /RS-\s+(\S+)\s+(\S+)(?:\s+(\S+))?\r\n/;
/** RMSG account subject [reply-or-queues...] size, then the payload. */
export const RMSG_RE = /RMSG\s+(\S+)\s+(\S+)\s+(?:([^\r\n]*?)\s+)?(\d+)\r\n([^\r\n]*)\r\n/;
export const MSG_RE = /MSG\s+(\S+)\s+(\S+)\s+(?:(\S+)\s+)?(\d+)\r\n([^\r\n]*)\r\n/;
export const CONNECT_RE = /CONNECT\s+(\{[^\r\n]*\})\r\n/;
export const ERR_RE = /-ERR\s+'([^']*)'\r\n/;

/** A plain client on the client port: read INFO, send CONNECT (Go's setupConn). */
export async function rawClient(port: number): Promise<RawConn> {
  const c = await RawConn.open(port);
  await c.expect(INFO_RE);
  c.send(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false}\r\n`);
  return c;
}

/** A fake route on the route port: read INFO, send CONNECT with credentials (Go's setupRouteEx). */
export async function rawRoute(port: number, id: string, creds = { user: "route_user", pass: "top_secret" }, cluster = "xyz"): Promise<{ conn: RawConn; info: Record<string, unknown> }> {
  const conn = await RawConn.open(port);
  const m = await conn.expect(INFO_RE);
  conn.send(`CONNECT {"verbose":false,"user":"${creds.user}","pass":"${creds.pass}","name":"${id}","cluster":"${cluster}"}\r\n`);
  return { conn, info: JSON.parse(m[1]) as Record<string, unknown> };
}
