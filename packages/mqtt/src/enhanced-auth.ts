import type { EnhancedAuthContext, EnhancedAuthMethod, EnhancedAuthResult } from "./options.js";
import { REASON } from "./v5.js";

/** The step's outcome, checked: what the connection does next. */
export type AuthStep = { kind: "continue"; data?: Buffer } | { kind: "success"; data?: Buffer; user?: string } | { kind: "fail"; reasonCode: number };

function checked(r: EnhancedAuthResult | undefined): AuthStep {
  const data = (v: unknown) => (Buffer.isBuffer(v) ? v : undefined);
  if (typeof r === "object" && r !== null) {
    if ("continue" in r && r.continue === true) return { kind: "continue", data: data(r.data) };
    if ("success" in r && r.success === true) return { kind: "success", data: data(r.data), user: typeof r.user === "string" ? r.user : undefined };
    if ("fail" in r && r.fail === true) {
      const code = r.reasonCode;
      return { kind: "fail", reasonCode: typeof code === "number" && Number.isInteger(code) && code >= 0x80 && code <= 0xff ? code : REASON.NOT_AUTHORIZED };
    }
  }
  return { kind: "fail", reasonCode: REASON.NOT_AUTHORIZED };
}

/**
 * One client's enhanced authentication (MQTT 5.0 §4.12) with a method from the plugin options:
 * the steps of an exchange run one at a time, with the method's state kept between them; a
 * re-authentication (AUTH 0x19) starts a new exchange. A method that throws or answers something
 * else than its three forms fails the client (0x87).
 */
export class EnhancedAuthExchange {
  private step = 0;
  private state: Record<string, unknown> = {};
  private reauthenticating = false;
  /** A step is running: the client must wait for its answer. */
  busy = false;

  constructor(
    readonly method: string,
    private readonly run: EnhancedAuthMethod,
    private readonly client: Pick<EnhancedAuthContext, "clientId" | "username" | "remote">,
  ) {}

  /** AUTH 0x19 from a connected client: a new exchange. */
  restart(): void {
    this.step = 0;
    this.state = {};
    this.reauthenticating = true;
  }

  /** Runs the method on the client's data. */
  async next(data: Buffer | undefined): Promise<AuthStep> {
    this.busy = true;
    const ctx: EnhancedAuthContext = { ...this.client, step: this.step++, state: this.state, reauthenticating: this.reauthenticating };
    try {
      return checked(await this.run(data, ctx));
    } catch {
      return { kind: "fail", reasonCode: REASON.NOT_AUTHORIZED };
    } finally {
      this.busy = false;
    }
  }
}
