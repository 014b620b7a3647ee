import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync } from "node:crypto";
import * as snappy from "snappyjs";
import { StoreError } from "../errors.js";
import type { CipherConfig } from "../types.js";
import { FLAG_COMPRESSED, FLAG_ENCRYPTED, HEADER_LEN } from "./record.js";

const NONCE_LEN = 12;
const TAG_LEN = 16;
const MIN_COMPRESS = 64;
const KDF_SALT = Buffer.from("nats-ts/storage/v1");

/**
 * Optional per-record transforms of the body: snappy compression (when it saves space) and
 * AEAD encryption with a key derived by HKDF-SHA256 from the configured secret. The record header is authenticated as associated data, so a body cannot be moved to
 * another sequence. Flags on each record say which transforms it carries, so stores can switch
 * settings without rewriting existing data.
 */
export class BodyCodec {
  private readonly key?: Buffer;
  private readonly algorithm?: CipherConfig["algorithm"];
  private noncePool = Buffer.alloc(0);
  private noncePos = 0;

  constructor(
    private readonly compress: boolean,
    cipher: CipherConfig | undefined,
  ) {
    if (cipher) {
      const secret = typeof cipher.key === "string" ? Buffer.from(cipher.key, "utf8") : Buffer.from(cipher.key);
      // A fixed salt: the key must be derivable from configuration alone, so that losing or
      // damaging the meta file can never make the data unreadable.
      this.key = Buffer.from(hkdfSync("sha256", secret, KDF_SALT, "nats-ts storage record key", 32));
      this.algorithm = cipher.algorithm;
    }
  }

  get transforms(): boolean {
    return this.compress || this.key !== undefined;
  }

  /** A value stored in the meta file to check the key on open without reading any record. */
  keyCheck(): string | undefined {
    return this.key ? createHmac("sha256", this.key).update(`nats-ts key check ${this.algorithm}`).digest("hex") : undefined;
  }

  /** Returns the stored body and its flags for a plain body. */
  encode(plain: Buffer, aad: Buffer): { body: Buffer; flags: number } {
    let body = plain;
    let flags = 0;
    if (this.compress && plain.length >= MIN_COMPRESS) {
      const c = Buffer.from(snappy.compress(plain));
      if (c.length < plain.length) {
        body = c;
        flags |= FLAG_COMPRESSED;
      }
    }
    if (this.key) {
      const nonce = this.nonce();
      const c = createCipheriv(this.algorithm!, this.key, nonce, { authTagLength: TAG_LEN } as never);
      (c as unknown as { setAAD(b: Buffer, o?: object): void }).setAAD(aad, { plaintextLength: body.length });
      const enc = Buffer.concat([nonce, c.update(body), c.final(), (c as unknown as { getAuthTag(): Buffer }).getAuthTag()]);
      body = enc;
      flags |= FLAG_ENCRYPTED;
    }
    return { body, flags };
  }

  /** Inverse of encode; `aad` is the record header bytes AAD_START..AAD_END (seq, timestamp, ttl). */
  decode(stored: Buffer, flags: number, aad: Buffer, plainLen: number): Buffer {
    let body = stored;
    if (flags & FLAG_ENCRYPTED) {
      if (!this.key) throw new StoreError("NoEncryptionKey");
      const nonce = body.subarray(0, NONCE_LEN);
      const tag = body.subarray(body.length - TAG_LEN);
      const d = createDecipheriv(this.algorithm!, this.key, nonce, { authTagLength: TAG_LEN } as never);
      (d as unknown as { setAAD(b: Buffer, o?: object): void }).setAAD(aad, { plaintextLength: body.length - NONCE_LEN - TAG_LEN });
      (d as unknown as { setAuthTag(b: Buffer): void }).setAuthTag(tag);
      try {
        body = Buffer.concat([d.update(body.subarray(NONCE_LEN, body.length - TAG_LEN)), d.final()]);
      } catch (e) {
        throw new StoreError("BadKey", "record failed authentication", undefined, { cause: e });
      }
    }
    if (flags & FLAG_COMPRESSED) body = Buffer.from(snappy.uncompress(body, plainLen));
    return body;
  }

  private nonce(): Buffer {
    if (this.noncePos + NONCE_LEN > this.noncePool.length) {
      this.noncePool = randomFillSync(Buffer.allocUnsafe(NONCE_LEN * 512));
      this.noncePos = 0;
    }
    const n = this.noncePool.subarray(this.noncePos, this.noncePos + NONCE_LEN);
    this.noncePos += NONCE_LEN;
    return n;
  }
}

export const AAD_START = 16;
export const AAD_END = HEADER_LEN;
