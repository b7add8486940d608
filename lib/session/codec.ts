/**
 * Sealing: values encrypted and authenticated with @fastify/secure-session (libsodium's secretbox,
 * XSalsa20-Poly1305), under one key per purpose derived from the app's secret, so that a value sealed
 * for one purpose (a login transaction) can never be opened as another (an access token).
 *
 * Format of a sealed value, version 1:
 *
 *     <cipher>.<nonce>                      both base64url: no byte needs escaping in a cookie
 *     cipher = secretbox(JSON { v: 1, p: <purpose>, t: <sealed at, s since epoch>, d: <value> })
 *
 * What the plugin needs to know about a sealed value it seals inside it, and reads only through
 * secure-session's public API (`createSecureSession`, `encodeSecureSession`, `decodeSecureSession`,
 * `session.get`, `session.changed`):
 * - `v`, the format version: a later format can open version-1 values (or refuse them by name)
 *   without logging everyone out;
 * - `p`, the purpose, checked on top of the per-purpose key;
 * - `t`, the time of sealing: a value older than its purpose's max age is refused even when a browser
 *   replays a cookie past its Max-Age (secure-session's own `expiry`, a minute longer, is a second line;
 *   its timestamp is its private field and is not read here).
 * Key rotation is secure-session's: the newest key seals, every key opens, and `changed` says an older
 * key opened the value, which is then re-sealed by the caller.
 *
 * secure-session is not registered on the app: its per-request hook would decrypt our cookies on every
 * request, guarded or not. Its decorators live on a private Fastify instance with no routes instead,
 * which also leaves an app's own secure-session untouched.
 */
import Fastify from 'fastify'
import type { FastifyBaseLogger } from 'fastify'
import fastifySecureSession from '@fastify/secure-session'
import { LongKeyLruMap } from '../util/lru.js'

/** What each sealed value is for; each purpose has its own key. */
export type Purpose = 'access' | 'id' | 'refresh' | 'tx' | 'sid' | 'seen' | 'started'

const FORMAT_VERSION = 1

/** The slice of configuration the codec uses. */
export interface CodecConfig {
  /** Derived 32-byte keys per purpose, newest first. */
  keys: Record<Purpose, Buffer[]>
  /** How long a sealed value of each purpose stays valid, in seconds. */
  maxAge: Record<Purpose, number>
  /** How many opened values to remember. */
  openedCacheSize: number
}

/** A sealed value opened: its value and whether it was sealed with an older key (and should be re-sealed). */
export interface Opened<T> { value: T, rotated: boolean }

export interface Codec {
  seal (purpose: Purpose, value: unknown): string
  /** The value, or `undefined` when the sealed text is tampered, sealed for another purpose, with an unknown key, or too old. */
  open (purpose: Purpose, sealed: string, log: FastifyBaseLogger): Opened<unknown> | undefined
  /** How many opened values are remembered (bounded). */
  readonly size: number
  close (): Promise<void>
}

interface Payload { v: number, p: Purpose, t: number, d: unknown }
interface OpenedEntry extends Opened<unknown> { purpose: Purpose, until: number }

export async function createCodec (config: CodecConfig): Promise<Codec> {
  const scope = Fastify({ logger: false })
  const purposes = Object.keys(config.keys) as Purpose[]
  const sessionName = (purpose: Purpose): string => `fastifyCognito_${purpose}`
  await scope.register(fastifySecureSession, purposes.map(purpose => ({
    sessionName: sessionName(purpose),
    cookieName: sessionName(purpose),
    key: config.keys[purpose],
    expiry: config.maxAge[purpose] + 60
  })))
  // Keyed by the whole sealed text (ciphertext, MAC and nonce), indexed by its nonce: a hit is the very bytes that were authenticated.
  const opened = new LongKeyLruMap<OpenedEntry>(config.openedCacheSize)
  return {
    seal (purpose, value) {
      const payload: Payload = { v: FORMAT_VERSION, p: purpose, t: Math.floor(Date.now() / 1000), d: value }
      const sealed = scope.encodeSecureSession(scope.createSecureSession(payload), sessionName(purpose))
      const [cipher, nonce] = sealed.split(';') as [string, string]
      return `${Buffer.from(cipher, 'base64').toString('base64url')}.${Buffer.from(nonce, 'base64').toString('base64url')}`
    },
    open (purpose, sealed, log) {
      const now = Date.now()
      const hit = opened.get(sealed, now)
      if (hit !== undefined) return hit.purpose === purpose ? hit : undefined
      const dot = sealed.indexOf('.')
      if (dot === -1) return undefined
      const cipher = Buffer.from(sealed.slice(0, dot), 'base64url').toString('base64')
      const nonce = Buffer.from(sealed.slice(dot + 1), 'base64url').toString('base64')
      const session = scope.decodeSecureSession(`${cipher};${nonce}`, log, sessionName(purpose))
      if (session === null) return undefined
      const version: unknown = session.get('v')
      const sealedAt: unknown = session.get('t')
      if (version !== FORMAT_VERSION || session.get('p') !== purpose || typeof sealedAt !== 'number') return undefined
      const until = (sealedAt + config.maxAge[purpose]) * 1000
      if (until <= now) return undefined
      const entry: OpenedEntry = { purpose, value: session.get('d'), rotated: session.changed, until }
      opened.set(sealed, entry, until)
      return entry
    },
    get size () {
      return opened.size
    },
    close: () => scope.close()
  }
}
