import { Session } from "node:inspector/promises";
import { goDurationString } from "../format.js";

/** Go's ProfilezStatus: the profile's bytes (base64 in JSON) or why there is none. */
export interface ProfilezStatusJson {
  profile: string | null;
  error: string;
}

const MAX_CPU_PROFILE_NS = 15e9;

/** Go's Duration.String() for the error text. */
function duration(ns: number): string {
  return ns < 0 ? `-${goDurationString(-ns / 1e6)}` : goDurationString(ns / 1e6);
}

/**
 * Go's profilez. `cpu` records a V8 CPU profile for `duration` nanoseconds (at most 15s) and
 * returns it as a .cpuprofile JSON document (Chrome DevTools opens it; Go returns pprof). Go's
 * other profile names (heap, goroutine, ...) have no V8 counterpart and are reported as not found.
 */
export async function profilez(name: string, durationNs: number): Promise<ProfilezStatusJson> {
  if (name === "") return { profile: null, error: "Profile name not specified" };
  if (name !== "cpu") return { profile: null, error: `Profile ${JSON.stringify(name)} not found` };
  if (durationNs <= 0 || durationNs > MAX_CPU_PROFILE_NS) {
    return { profile: null, error: `Duration ${duration(durationNs)} should be between 0s and 15s` };
  }
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    await new Promise((r) => setTimeout(r, durationNs / 1e6));
    const { profile } = await session.post("Profiler.stop");
    return { profile: Buffer.from(JSON.stringify(profile)).toString("base64"), error: "" };
  } catch (err) {
    return { profile: null, error: `Failed to start CPU profile: ${(err as Error).message}` };
  } finally {
    session.disconnect();
  }
}
