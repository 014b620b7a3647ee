import { CompressionMode, compressionModeForInfo, needsCompression, negotiateCompression, type CompressionOptions } from "../shared/compression/index.js";
import type { RouteConnection } from "./connection.js";
import type { RouteInfo } from "./info.js";

// Route compression as Go 2.10+ negotiates it (route.go processRouteInfo and
// negotiateRouteCompression), on each route connection on its own, pooled and pinned ones alike.

/**
 * The compression field of an INFO of the handshake: the configured mode before negotiation, the
 * negotiated one after (s2_auto stays s2_auto). None when configured as "not supported" (Go's way
 * to make a server behave as one from before compression).
 *
 * @example
 * announcedCompression({ mode: "accept", rttThresholds: [] }, "s2_best"); // "s2_best"
 */
export function announcedCompression(local: CompressionOptions, negotiated?: string): string | undefined {
  if (local.mode === CompressionMode.NotSupported) return undefined;
  return negotiated === undefined || negotiated === "" ? local.mode : compressionModeForInfo(local, negotiated);
}

/**
 * What a route shows when this server does not negotiate (configured off or not supported): a
 * remote that announced nothing is from before compression.
 */
export function compressionWithoutNegotiation(local: CompressionOptions, info: RouteInfo): string {
  const announced = typeof info.compression === "string" && info.compression !== "";
  return announced && local.mode !== CompressionMode.NotSupported ? CompressionMode.Off : CompressionMode.NotSupported;
}

/**
 * Negotiates on the remote's first INFO, when this server negotiates compression. True when both
 * sides compress and the connection switched to S2: the side that dialled sends its INFO (made by
 * `infoProto` with the negotiated mode) in the clear before switching, the side that accepted
 * sends it compressed after, and the handshake goes on with the remote's next INFO. False when
 * the route stays uncompressed. Throws Go's error for a mode Go does not know.
 *
 * @example
 * if (switchToCompression(c, info, opts.compression, (mode) => protoLine("INFO", routeInfo(mode)))) return;
 */
export function switchToCompression(c: RouteConnection, info: RouteInfo, local: CompressionOptions, infoProto: (compression: string | undefined) => string): boolean {
  const remote = typeof info.compression === "string" ? info.compression : undefined;
  const mode = negotiateCompression(local, remote, c.rtt ?? performance.now() - c.startedAt);
  if (!needsCompression(mode)) {
    c.compressionSettled(mode);
    return false;
  }
  const proto = infoProto(announcedCompression(local, mode));
  if (c.didSolicit) c.sendProto(proto);
  c.startCompression(mode);
  if (!c.didSolicit) c.sendProto(proto);
  return true;
}
