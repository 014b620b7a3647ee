import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PREFIX_SEED = 18 << 3;
const PREFIX_USER = 20 << 3;
/** DER prefix of an Ed25519 PKCS#8 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function base32Decode(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error("invalid base32");
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function base32Encode(data: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** CRC-16/XMODEM, the checksum at the end of every nkey. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** A user nkey from its seed (`SU...`): signs nonces and names its public key. */
export class UserKey {
  private readonly key: KeyObject;
  readonly publicKey: string;

  private constructor(seed: Buffer) {
    this.key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
    const raw = createPublicKey(this.key).export({ format: "der", type: "spki" }).subarray(-32);
    const body = Buffer.concat([Buffer.from([PREFIX_USER]), raw]);
    const sum = Buffer.alloc(2);
    sum.writeUInt16LE(crc16(body));
    this.publicKey = base32Encode(Buffer.concat([body, sum]));
  }

  /** Decodes a seed; throws when it is not a valid user seed. */
  static fromSeed(seed: string): UserKey {
    const raw = base32Decode(seed.trim());
    if (raw.length !== 36) throw new Error("invalid seed length");
    const body = raw.subarray(0, 34);
    if (crc16(body) !== raw.readUInt16LE(34)) throw new Error("invalid seed checksum");
    const prefix = body[0] & 0xf8;
    const type = ((body[0] & 0x07) << 5) | ((body[1] & 0xf8) >> 3);
    if (prefix !== PREFIX_SEED || type !== PREFIX_USER) throw new Error("not a user seed");
    return new UserKey(body.subarray(2));
  }

  /** The nonce's signature, base64url without padding as Go's leaf CONNECT carries it. */
  signNonce(nonce: string): string {
    return sign(null, Buffer.from(nonce), this.key).toString("base64url");
  }
}

/** Blocks of a creds file: `-----BEGIN ...-----`, the value, `------END ...------`. */
const CREDS_BLOCK = /\s*(?:[-]{3,}.*[-]{3,}\r?\n)([\w\-.=]+)(?:\r?\n[-]{3,}.*[-]{3,}(?:\r?\n|$))/g;

/** The user JWT and key of a `.creds` file; throws with Go's wording when malformed. */
export function readCredentials(path: string): { jwt: string; key: UserKey } {
  const text = readFileSync(path, "utf8");
  const items = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1]);
  if (items.length < 2) throw new Error("Credentials file malformed");
  let key: UserKey;
  try {
    key = UserKey.fromSeed(items[1]);
  } catch {
    throw new Error("Credentials file has malformed seed");
  }
  return { jwt: items[0], key };
}

/** DER prefix of an Ed25519 SPKI public key; the 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Whether `sig` (base64url or base64) signs `nonce` with the user nkey `publicKey` (`U...`). */
export function verifyNonceSignature(publicKey: string, nonce: string, sig: string): boolean {
  try {
    const raw = base32Decode(publicKey);
    if (raw.length !== 35 || raw[0] !== PREFIX_USER || crc16(raw.subarray(0, 33)) !== raw.readUInt16LE(33)) return false;
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw.subarray(1, 33)]), format: "der", type: "spki" });
    const signature = Buffer.from(sig.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), "base64url");
    return verify(null, Buffer.from(nonce), key, signature);
  } catch {
    return false;
  }
}
