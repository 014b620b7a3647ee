/**
 * @nats-ts/ws: NATS over WebSocket. The "websocket" server plugin, and the pieces it is built
 * from (a generic WebSocket listener and a WebSocket-as-byte-stream adapter) for other
 * protocols, such as MQTT, to reuse.
 */
export { websocketPlugin, WebsocketPlugin } from "./plugin.js";
export { websocketOptionsFromConf, validateWebsocketOptions, type WebsocketOptions, type WebsocketTlsOptions, type ValidationContext } from "./options.js";
export { WebSocketStream, closeReason, type CloseStatus, type WebSocketStreamOptions, type InboundPatch } from "./stream.js";
export { WebSocketListener, type WebSocketListenerOptions, type WebSocketRoute, type WebSocketConnectionInfo } from "./listener.js";
export { OriginChecker } from "./origin.js";
export { checkUpgradeRequest, type UpgradeRejection } from "./upgrade.js";
export { closeStatusFor } from "./close-status.js";
export { ConnectCredentialsPatch, cookieCredentials, requestCookies, type CookieCredentials, type CookieNames } from "./cookies.js";
export { websocketAuthenticator, hasAuthOverride } from "./auth-override.js";
