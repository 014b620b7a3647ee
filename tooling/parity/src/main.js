#!/usr/bin/env node
// `pnpm parity` rewrites test_parity.db; `pnpm parity --check` exits 1 when it is stale.
// The Go test inventory is read from $NATS_TS_SHARED_DIR/ref/go-tests.tsv, by default
// ../shared beside the repository.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runParity } from "./run.js";

const { values } = parseArgs({
  options: {
    check: { type: "boolean", default: false },
    root: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("usage: pnpm parity [--check] [--root <repo>]\n  env NATS_TS_SHARED_DIR: folder holding ref/go-tests.tsv");
  process.exit(0);
}

const root = resolve(values.root ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".."));
const sharedDir = resolve(process.env.NATS_TS_SHARED_DIR ?? join(root, "..", "shared"));

try {
  process.exitCode = runParity({ root, sharedDir, check: values.check });
} catch (err) {
  console.error(`parity: ${/** @type {Error} */ (err).message}`);
  process.exitCode = 2;
}
