import { createRequire } from "node:module";

/**
 * The Go nats-server release whose client-visible behaviour nats-ts implements. Clients switch
 * features on by this value (INFO `version`), so it is raised only as those features land.
 */
export const GO_COMPAT_VERSION = "2.11.0";

/** The protocol version announced in INFO (1: supports async INFO). */
export const PROTO_VERSION = 1;

/** nats-ts's own version (this package's), announced beside the Go-compatible one. */
export const NATS_TS_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
