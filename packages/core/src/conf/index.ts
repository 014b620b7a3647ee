import { resolve } from "node:path";
import { type ConfMap, type ConfOptions, Parser, readConfFile } from "./parser.js";

export { ConfError } from "./errors.js";
export { confDigest } from "./digest.js";
export type { ConfMap, ConfOptions, ConfValue } from "./parser.js";
export { type ConfPosition, confKeyUsedAsVariable, confPosition } from "./positions.js";
export { parseDuration, parseSize } from "./units.js";

/**
 * Parse config text in the NATS server's conf format into plain values (maps
 * become objects, arrays arrays; strings, numbers, booleans and Dates). Throws
 * a {@link ConfError} with the file, line and column of the first problem.
 *
 * @example
 * const conf = parseConf("port: 4222\njetstream { max_mem: 1G }");
 * conf.port; // 4222
 */
export function parseConf(text: string, options: ConfOptions = {}): ConfMap {
  const file = options.file ?? "";
  const chain = file ? [resolve(file)] : [];
  return new Parser(text, file, options.env ?? process.env, new Set(), chain).parse();
}

/**
 * Read and parse a config file; `include` paths resolve relative to the file
 * that contains them.
 *
 * @example
 * const conf = loadConfFile("/etc/nats/nats-server.conf");
 */
export function loadConfFile(path: string, options: Omit<ConfOptions, "file"> = {}): ConfMap {
  return parseConf(readConfFile(path), { ...options, file: path });
}
