/**
 * Polls `check` until it returns something truthy (returned), failing after `timeout` ms with
 * `what` and the last error `check` threw.
 *
 * @example
 * await waitFor("route up", () => numRoutes(a.server) === 1);
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeout = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
