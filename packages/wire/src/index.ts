/**
 * @nats-ts/wire: the NATS client protocol as bytes. Parsers for both directions,
 * serializers, header blocks and subject rules. No I/O, no server state.
 */
export {
  ProtocolError,
  type ProtocolErrorKind,
  ERR_UNKNOWN_PROTOCOL_OPERATION,
  ERR_MAX_CONTROL_LINE,
  ERR_MAX_PAYLOAD_VIOLATION,
  ERR_AUTHORIZATION_VIOLATION,
} from "./errors.js";
export type { ParserLimits } from "./parser/frame-parser.js";
export {
  ClientProtocolParser,
  type ClientOpHandler,
  DEFAULT_MAX_CONTROL_LINE,
  DEFAULT_MAX_PAYLOAD,
} from "./parser/client-parser.js";
export { ServerProtocolParser, type ServerOpHandler, DEFAULT_SERVER_PARSER_LIMITS } from "./parser/server-parser.js";
export {
  PeerProtocolParser,
  parsePeerMsgArgs,
  DEFAULT_PEER_PARSER_LIMITS,
  type PeerOpHandler,
  type PeerInterestOp,
  type PeerMessageOp,
  type PeerMsgArgs,
  type PeerMsgArgsFormat,
} from "./parser/peer-parser.js";
export {
  PING,
  PONG,
  OK,
  CRLF,
  encodeInfo,
  encodeConnect,
  encodePub,
  encodeHpub,
  encodeSub,
  encodeUnsub,
  encodeMsgHead,
  peerMsgHead,
  encodeHmsgHead,
  encodeMsg,
  encodeHmsg,
  encodeErr,
} from "./encode.js";
export { MsgHeaders, encodeHeaders, decodeHeaders, statusHeaders } from "./headers.js";
export {
  sliceHeader,
  getHeader,
  appendHeader,
  setHeader,
  removeHeader,
  removeHeadersWithPrefix,
  removeHeaderStatus,
} from "./header-bytes.js";
export {
  tokenizeSubject,
  numTokens,
  tokenAt,
  isValidSubject,
  isValidPublishSubject,
  isValidLiteralSubject,
  isValidQueueName,
  isLiteralSubject,
  subjectMatches,
  subjectsCollide,
  subjectIsSubsetMatch,
  splitSubjectQueue,
} from "./subjects.js";
