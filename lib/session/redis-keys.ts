/**
 * The Redis side of the Redis session store: the client it needs (typed by shape, so this package never
 * imports ioredis), the key layout, the scripts that change several keys at once, and the time bound on
 * every call.
 *
 * Key layout, all of one user's keys under one hash tag (`{<prefix>:<sub>}`) so that a script touching
 * a session and its user's index stays in one Redis Cluster slot:
 *
 *     {<prefix>:<sub>}:session:<handle>   hash: data (the encrypted record), seen (ms)   TTL: the session's lifetime
 *     {<prefix>:<sub>}:sessions           sorted set: handle -> expiry (ms)               TTL: the longest session's
 *     {<prefix>:<sub>}:lock:<handle>      the refresh lock                                TTL: the lock's
 *     {<prefix>:<sub>}:cutoff             ms: cookie sessions started before are ended     TTL: the longest session's
 *                                         (`mode: 'revocation'`, redis-revocation.ts)
 *     <prefix>:invalidate                 pub/sub channel: a handle whose record changed or ended
 *
 * `<handle>` is a hash of the session id: the id itself (the secret the cookie carries) is never a key,
 * a message or a log field.
 */
import { createHash } from 'node:crypto'
import { decodeJwt } from 'jose'
import { InvalidTokenError, SessionStoreUnavailableError } from '../errors.js'

/** The commands the store uses, as ioredis (and iovalkey) type them. */
export interface RedisCommands {
  eval (script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  hgetall (key: string): Promise<Record<string, string>>
  zrangebyscore (key: string, min: number | string, max: number | string): Promise<string[]>
  set (key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>
  exists (...keys: string[]): Promise<number>
}

/** The connection the store opens for pub/sub (`client.duplicate()`), and closes. */
export interface RedisSubscriber {
  subscribe (...channels: string[]): Promise<unknown>
  on (event: 'message', listener: (channel: string, message: string) => void): unknown
  on (event: 'ready' | 'close', listener: () => void): unknown
  on (event: 'error', listener: (err: Error) => void): unknown
  quit (): Promise<unknown>
}

/** An ioredis `Redis` or `Cluster` (or iovalkey) client the app owns. */
export interface RedisClient extends RedisCommands {
  /** A new connection with the same options; a plain client's is made with `{ autoResubscribe: false }`. */
  duplicate (): RedisSubscriber
  /** True for an ioredis `Cluster`. */
  readonly isCluster?: boolean
}

/** The session a cookie names. `handle`, a hash of the id, is what keys and messages use. */
export interface SessionRef { sid: string, sub: string, handle: string, rotated: boolean }
/** What a record holds (encrypted). */
export interface SessionRecord { accessToken: string, idToken?: string, refreshToken?: string, created: number, userAgent?: string }

/** The token of `kind` a record holds. */
export function tokenOf (record: SessionRecord, kind: 'access' | 'id' | 'refresh'): string | undefined {
  return kind === 'access' ? record.accessToken : kind === 'id' ? record.idToken : record.refreshToken
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** What a `sub` may be to name keys (Cognito's are UUIDs). */
export const SUB = /^[\w.@+-]{1,128}$/

export function handleOf (sid: string): string {
  return createHash('sha256').update(sid).digest('base64url').slice(0, 32)
}

/** The user of a token this app issued or verified; keys are tagged with it. */
export function subOf (accessToken: string): string {
  let sub: unknown
  try {
    sub = decodeJwt(accessToken).sub
  } catch {}
  if (typeof sub !== 'string' || !SUB.test(sub)) throw new InvalidTokenError('no usable sub for a stored session')
  return sub
}

export class KeyLayout {
  readonly #prefix: string
  readonly channel: string

  constructor (prefix: string) {
    this.#prefix = prefix
    this.channel = `${prefix}:invalidate`
  }

  #tag (sub: string): string {
    return `{${this.#prefix}:${sub}}`
  }

  session (sub: string, handle: string): string {
    return `${this.#tag(sub)}:session:${handle}`
  }

  index (sub: string): string {
    return `${this.#tag(sub)}:sessions`
  }

  lock (sub: string, handle: string): string {
    return `${this.#tag(sub)}:lock:${handle}`
  }

  cutoff (sub: string): string {
    return `${this.#tag(sub)}:cutoff`
  }
}

/** A new record and its place in the user's index; the index lives as long as its longest session. Expired entries are pruned. */
export const CREATE = `
redis.call('hset', KEYS[1], 'data', ARGV[1], 'seen', ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[2])
redis.call('zadd', KEYS[2], ARGV[5], ARGV[4])
if redis.call('pttl', KEYS[2]) < tonumber(ARGV[3]) then redis.call('pexpire', KEYS[2], ARGV[3]) end
return 1`

/** New tokens for a record that still exists (an ended session is not brought back; HSET keeps the TTL), then the news. */
export const UPDATE = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], 'data', ARGV[1])
redis.call('publish', ARGV[2], ARGV[3])
return 1`

/** The last time the session was seen, on a record that still exists. */
export const TOUCH = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], 'seen', ARGV[1])
return 1`

/** A session ends: its record and index entry go, and every instance hears of it. */
export const DELETE = `
local n = redis.call('del', KEYS[1])
redis.call('zrem', KEYS[2], ARGV[2])
redis.call('publish', ARGV[1], ARGV[3])
return n`

/** Releases the refresh lock only if this holder still has it. */
export const UNLOCK = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`

/**
 * A Redis call, bounded: no answer within `ms` (server paused, network gone, the client's offline queue
 * waiting for a reconnect) or an error is a coded 503. The message is in words: never a key, which names
 * a user and a session.
 */
export async function bounded<T> (call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new SessionStoreUnavailableError(`Redis did not answer within ${ms} ms`)), ms)
  })
  // The call may still settle after the bound: its outcome is then nobody's, and must not be an unhandled rejection.
  call.catch(() => {})
  return await Promise.race([call, late]).then(value => {
    clearTimeout(timer)
    return value
  }, (err: unknown) => {
    clearTimeout(timer)
    // No `cause`: a client's error may quote the command, and with it a key.
    throw err instanceof SessionStoreUnavailableError ? err : new SessionStoreUnavailableError(`Redis failed (${(err as Error).name})`)
  })
}

/** The Redis store's settings, validated (see `redisSessionStore` in lib/redis.ts). */
export interface RedisStoreSettings {
  client: RedisClient
  prefix: string
  timeout: number
  cacheSize: number
  cacheMaxAge: number
  touchInterval: number
  lockTimeout: number | undefined
}
