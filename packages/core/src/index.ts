export { NatsServer, type NatsServerConfig, type ServerPlugin, type ServerEvents } from "./server/nats-server.js";
export {
  serverOptionsSchema,
  resolveOptions,
  OptionsError,
  DEFAULTS,
  type ServerOptions,
  type ServerOptionsInput,
} from "./options.js";
export { createLogger, silentLogger, goLogTime, type Logger, type LoggerOptions } from "./logger.js";
export { configAuthenticator, passwordMatches, type Authenticator, type AuthResult, type AuthContext } from "./auth.js";
export { Account, GLOBAL_ACCOUNT, SYSTEM_ACCOUNT, type AccountLimitValues } from "./account.js";
export { ClientPermissions } from "./auth/permissions.js";
export { SubjectTransform, MappingError, isSubsetMatch } from "./accounts/subject-transform.js";
export { SubjectMappings, type MappingDestination } from "./accounts/mappings.js";
export { planAuth, type AuthPlan, type AccountPlan, type UserEntry } from "./accounts/plan.js";
export { ReloadError } from "./server/reload.js";
export type {
  AccountConfig,
  AccountLimits,
  ExportConfig,
  ImportConfig,
  MappingsConfig,
  Permissions,
  SubjectPermission,
  TlsOptions,
  UserConfig,
} from "./auth-options.js";
export { Sublist, InvalidSubjectError, type SublistResult, type InterestWatcher } from "./sublist/sublist.js";
export { Subscription, isRemoteKind, type MessageSink, type ClientKind } from "./sublist/subscription.js";
export { isStreamImport } from "./accounts/imports.js";
export { InternalClient, type InternalMsgHandler } from "./internal-client.js";
export { ClientConnection, type ConnectionSnapshot, type ConnectionEndpoint, type SubscriptionSnapshot } from "./client/connection.js";
export { ClosedReason } from "./client/closed-reason.js";
export { OutboundQueue } from "./client/outbound.js";
export type { ConnectInfo } from "./client/connect-info.js";
export { RecentRing } from "./server/recent-ring.js";
export { ForeignConnections, type ForeignConnection } from "./server/foreign-connections.js";
export { describeTls, type ConnectionTls } from "./server/tls.js";
export { listenerUrls, formatUrl } from "./server/listen-urls.js";
export { formatGoDuration } from "./duration.js";
export { GO_COMPAT_VERSION, NATS_TS_VERSION, PROTO_VERSION } from "./version.js";
export { optionsFromConf, type ConfOptionsResult } from "./conf-options.js";
export {
  parseConf,
  loadConfFile,
  ConfError,
  confPosition,
  parseDuration,
  parseSize,
  type ConfMap,
  type ConfValue,
  type ConfPosition,
} from "./conf/index.js";
export {
  confFail,
  isConfMap,
  goTypeName,
  confString,
  confBool,
  confInt,
  confDuration,
  confSeconds,
  confListen,
  confListenerAddress,
  confCredentialKey,
  confTlsBlock,
  listenerAuthorizationFromConf,
  type ConfTlsBlock,
  type ListenerAuthorization,
} from "./conf-go-readers.js";
