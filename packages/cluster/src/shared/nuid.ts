import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * 22 random characters of Go's NUID alphabet, for names that look like Go's (a dynamic cluster
 * name, the random part of a loop detection subject).
 *
 * @example
 * randomNuid(); // "4mFZ2qk0Xb1sWcY7hTr9Qa"
 */
export function randomNuid(): string {
  return [...randomBytes(22)].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** The nonce an accepting server puts in its INFO for the other side to sign (Go's 11 random bytes, raw URL base64). */
export function randomNonce(): string {
  return randomBytes(11).toString("base64url");
}
