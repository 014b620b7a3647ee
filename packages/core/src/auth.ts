import { timingSafeEqual } from "node:crypto";
import type { ConnectInfo } from "./client/connect-info.js";
import { GLOBAL_ACCOUNT } from "./account.js";
import type { ServerOptions } from "./options.js";

/** Who a connection authenticated as. */
export interface AuthResult {
  account: string;
  user?: string;
}

/**
 * Decides whether a CONNECT may proceed. Core ships {@link optionsAuthenticator} (token, one
 * user/password, no_auth_user); richer schemes (users lists, nkeys, accounts) plug in here.
 */
export interface Authenticator {
  /** Sent as `auth_required` in INFO; when true a client must CONNECT before anything else. */
  readonly required: boolean;
  /** The user a client without credentials becomes, if any (Go's no_auth_user). */
  readonly noAuthUser?: string;
  /** Returns undefined to refuse with "Authorization Violation". */
  authenticate(connect: ConnectInfo, context: { nonce?: string }): AuthResult | undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Authentication from the options alone: `authorization { token }` or `{ user, password }`. */
export function optionsAuthenticator(opts: ServerOptions): Authenticator {
  const auth = opts.authorization;
  if (auth === undefined || (auth.token === undefined && auth.user === undefined)) {
    return { required: false, authenticate: () => ({ account: GLOBAL_ACCOUNT }) };
  }
  const noAuthUser = opts.noAuthUser !== undefined && opts.noAuthUser === auth.user ? auth.user : undefined;
  return {
    required: true,
    noAuthUser,
    authenticate(connect) {
      if (auth.token !== undefined) {
        return connect.authToken !== undefined && sameSecret(connect.authToken, auth.token)
          ? { account: GLOBAL_ACCOUNT }
          : undefined;
      }
      const hasCredentials = connect.user !== undefined || connect.pass !== undefined || connect.authToken !== undefined;
      if (!hasCredentials && noAuthUser !== undefined) return { account: GLOBAL_ACCOUNT, user: noAuthUser };
      if (connect.user === auth.user && sameSecret(connect.pass ?? "", auth.password ?? "")) {
        return { account: GLOBAL_ACCOUNT, user: auth.user };
      }
      return undefined;
    },
  };
}
