import { configAuthenticator, resolveOptions, type Authenticator, type ServerOptions } from "@nats-ts/core";
import type { WebsocketOptions } from "./options.js";

/** Whether the websocket block overrides plain clients' authentication (Go's authOverride). */
export function hasAuthOverride(ws: WebsocketOptions): boolean {
  return Boolean(ws.authorization?.user || ws.authorization?.token || ws.noAuthUser);
}

/**
 * The authentication WebSocket clients get when the websocket block has its own `authorization`
 * or `no_auth_user` (Go's websocket auth override): the block's token or user/password and its
 * no_auth_user replace the top-level ones, while users and nkeys lists stay those of the server.
 * Returns undefined when there is no override (WebSocket clients authenticate like TCP clients).
 *
 * @example
 * const auth = websocketAuthenticator(server.opts, { authorization: { token: "ws-secret" } });
 * auth?.authenticate({ ...connect, authToken: "ws-secret" }, { connectionType: "WEBSOCKET" }); // { account: "$G" }
 */
export function websocketAuthenticator(opts: ServerOptions, ws: WebsocketOptions): Authenticator | undefined {
  if (!hasAuthOverride(ws)) return undefined;
  const a = ws.authorization ?? {};
  const merged = resolveOptions({
    ...opts,
    noAuthUser: ws.noAuthUser || undefined,
    authorization: {
      ...opts.authorization,
      user: a.user || undefined,
      password: a.user ? a.password : undefined,
      token: a.token || undefined,
    },
  });
  return configAuthenticator(merged);
}
