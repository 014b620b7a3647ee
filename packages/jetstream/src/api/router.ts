import type { Subscription } from "@nats-ts/core";
import { getHeader } from "@nats-ts/wire";
import type { JsAccount } from "../account/js-account.js";
import { ApiError, apiErrors, toApiError } from "../errors/index.js";
import { JS_REQUIRED_API_LEVEL } from "../stream/headers.js";
import { JS_API_LEVEL } from "../stream/metadata.js";
import { accountInfo } from "./account-api.js";
import { consumerRoutes } from "./consumer-routes.js";
import { msgDelete, msgGet } from "./msg-api.js";
import { streamRestore, streamSnapshot } from "./snapshot-api.js";
import {
  clusterRequired,
  streamCreate,
  streamDelete,
  streamInfo,
  streamList,
  streamNames,
  streamPurge,
  streamUpdate,
  type ApiRequest,
} from "./stream-api.js";
import { ResponseType } from "./types.js";

type Handler = (req: ApiRequest, reply: string) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;

/** One API endpoint: the subject it listens on, its response type and handler. */
export interface ApiRoute {
  subject: string;
  type: string;
  handler: Handler;
}

const STREAM_ROUTES: ApiRoute[] = [
  { subject: "$JS.API.INFO", type: ResponseType.accountInfo, handler: accountInfo },
  { subject: "$JS.API.STREAM.CREATE.*", type: ResponseType.streamCreate, handler: streamCreate },
  { subject: "$JS.API.STREAM.UPDATE.*", type: ResponseType.streamUpdate, handler: streamUpdate },
  { subject: "$JS.API.STREAM.NAMES", type: ResponseType.streamNames, handler: streamNames },
  { subject: "$JS.API.STREAM.LIST", type: ResponseType.streamList, handler: streamList },
  { subject: "$JS.API.STREAM.INFO.*", type: ResponseType.streamInfo, handler: streamInfo },
  { subject: "$JS.API.STREAM.DELETE.*", type: ResponseType.streamDelete, handler: streamDelete },
  { subject: "$JS.API.STREAM.PURGE.*", type: ResponseType.streamPurge, handler: streamPurge },
  { subject: "$JS.API.STREAM.MSG.GET.*", type: ResponseType.msgGet, handler: msgGet },
  { subject: "$JS.API.STREAM.MSG.DELETE.*", type: ResponseType.msgDelete, handler: msgDelete },
  { subject: "$JS.API.STREAM.LEADER.STEPDOWN.*", type: ResponseType.streamLeaderStepDown, handler: clusterRequired },
  // Peer and placement changes need a cluster; a standalone server says so.
  { subject: "$JS.API.STREAM.PEER.REMOVE.*", type: ResponseType.streamRemovePeer, handler: clusterRequired },
  { subject: "$JS.API.STREAM.PEER.EVACUATE.*", type: ResponseType.streamRemovePeer, handler: clusterRequired },
  { subject: "$JS.API.STREAM.CANCEL_MOVE.*", type: ResponseType.streamUpdate, handler: clusterRequired },
  { subject: "$JS.API.STREAM.SNAPSHOT.*", type: ResponseType.streamSnapshot, handler: streamSnapshot },
  { subject: "$JS.API.STREAM.RESTORE.*", type: ResponseType.streamRestore, handler: streamRestore },
];

/** Hooks the router calls for each answered request. */
export interface ApiRouterHost {
  serverName: string;
  /** Publishes the API audit advisory for a request and its response. */
  audit(jsa: JsAccount, subject: string, request: string, response: string): void;
}

/**
 * The `$JS.API` of one account: one internal subscription per endpoint (so unknown API
 * subjects get "no responders", as from the Go server), JSON responses with Go's types.
 */
export class ApiRouter {
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly jsa: JsAccount,
    private readonly host: ApiRouterHost,
  ) {}

  start(): void {
    // With a domain, `$JS.<domain>.API.>` reaches the same API (Go maps it onto `$JS.API.>`).
    const domainPrefix = this.jsa.domain ? `$JS.${this.jsa.domain}.API` : undefined;
    for (const route of [...STREAM_ROUTES, ...consumerRoutes]) {
      this.subs.push(this.jsa.client.subscribe(route.subject, (subject, reply, hsize, msg) => this.dispatch(route, subject, reply, hsize, msg)));
      if (domainPrefix === undefined) continue;
      const mapped = domainPrefix + route.subject.slice("$JS.API".length);
      this.subs.push(
        this.jsa.client.subscribe(mapped, (subject, reply, hsize, msg) =>
          this.dispatch(route, "$JS.API" + subject.slice(domainPrefix.length), reply, hsize, msg),
        ),
      );
    }
  }

  stop(): void {
    for (const sub of this.subs) this.jsa.client.removeSub(sub);
    this.subs.length = 0;
  }

  private dispatch(route: ApiRoute, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void {
    const copy = Buffer.from(msg);
    const hdr = copy.subarray(0, headerSize);
    const payload = copy.subarray(headerSize);
    const replyTo = reply ?? "";
    this.jsa.apiTotal++;
    const finish = (body: Record<string, unknown> | undefined): void => {
      if (body === undefined || replyTo === "") return;
      const response = JSON.stringify({ type: route.type, ...body });
      this.jsa.client.publish(replyTo, Buffer.from(response));
      this.host.audit(this.jsa, subject, payload.toString(), response);
    };
    const fail = (err: unknown): void => {
      this.jsa.apiErrors++;
      finish({ error: toApiError(err).toJSON() });
    };
    try {
      if (headerSize > 0) {
        const level = getHeader(hdr, JS_REQUIRED_API_LEVEL);
        if (level !== undefined && !(/^\d+$/.test(level) && Number(level) <= JS_API_LEVEL)) {
          throw new ApiError(apiErrors.JSRequiredApiLevelErr);
        }
      }
      const req: ApiRequest = { jsa: this.jsa, serverName: this.host.serverName, tokens: subject.split("."), payload };
      const result = route.handler(req, replyTo);
      if (result instanceof Promise) result.then(finish, fail);
      else finish(result);
    } catch (e) {
      fail(e);
    }
  }
}
