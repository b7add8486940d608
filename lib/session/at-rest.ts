/**
 * Encryption at rest for server-side session records: AES-256-GCM (node:crypto's AEAD), a random
 * 96-bit IV per write (NIST SP 800-38D §8.2.2), and the record's key name as additional data, so a
 * record copied under another key (another session, another user, another prefix) does not open.
 * Keys are derived from the plugin's `secret` (HKDF, options.ts), newest first: the newest encrypts,
 * every key opens, as with the cookies.
 *
 * Format: `1.<base64url(iv ‖ tag ‖ ciphertext)>`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = '1.'
const IV = 12
const TAG = 16

export function encryptRecord (keys: readonly Buffer[], plaintext: string, aad: string): string {
  const iv = randomBytes(IV)
  const cipher = createCipheriv('aes-256-gcm', keys[0] as Buffer, iv)
  cipher.setAAD(Buffer.from(aad))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
}

/** The plaintext, or `undefined` when the record is tampered, of another key name, or sealed with an unknown key. */
export function decryptRecord (keys: readonly Buffer[], sealed: string, aad: string): string | undefined {
  if (!sealed.startsWith(VERSION)) return undefined
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url')
  if (raw.length < IV + TAG) return undefined
  for (const key of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV), { authTagLength: TAG })
      decipher.setAAD(Buffer.from(aad))
      decipher.setAuthTag(raw.subarray(IV, IV + TAG))
      return Buffer.concat([decipher.update(raw.subarray(IV + TAG)), decipher.final()]).toString('utf8')
    } catch {
      // Not this key (or tampered): try the next one.
    }
  }
  return undefined
}
