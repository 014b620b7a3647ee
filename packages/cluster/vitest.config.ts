import { preset } from "@nats-ts/vitest-preset";

export default preset();
