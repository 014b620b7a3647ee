declare module "snappyjs" {
  /** Snappy block compression (a Snappy block is also a valid S2 block). */
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
}
