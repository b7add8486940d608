/**
 * State, nonce and PKCE (RFC 7636, S256 only) for one login attempt, with node:crypto only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A random URL-safe string of `bytes` random bytes (Cognito refuses anything but URL-safe state). */
export function randomToken (bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** The S256 code challenge of a verifier: BASE64URL(SHA256(verifier)). */
export function calculateCodeChallenge (verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** Compares two secrets without leaking where they differ. */
export function safeEqual (a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
