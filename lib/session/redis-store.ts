/**
 * Sessions in Redis ({@link SessionStore}): the browser holds one small cookie, the sealed (codec `sid`
 * purpose) session id and its user; the tokens live in a record encrypted at rest (at-rest.ts), which
 * expires with the session. Key layout and scripts: redis-keys.ts. The warm path reads a local cache kept
 * true by pub/sub (redis-cache.ts). A refresh takes the session's lock first (`exclusive`), so one grant
 * is made per session across instances; the others wait for the lock and read the winner's tokens.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { decryptRecord, encryptRecord } from './at-rest.js'
import {
  bounded, CREATE, handleOf, KeyLayout, sleep, subOf, tokenOf, TOUCH, UNLOCK, UPDATE, type RedisClient, type RedisStoreSettings, type SessionRecord, type SessionRef
} from './redis-keys.js'
import { SessionCache } from './redis-cache.js'
import { RedisSessions } from './redis-sessions.js'
import type { Opened } from './codec.js'
import type { ServerSessionStore, StoreContext, TokenKind } from './store.js'
import type { SessionTokens } from '../types.js'

export type { RedisStoreSettings, SessionRecord, SessionRef } from './redis-keys.js'

/** A request's session: `seen` is when it was last used before this request (for the idle timeout). */
interface Loaded { ref: SessionRef, record: SessionRecord | undefined, seen?: number }
interface Cached { record: SessionRecord, seen: number }

const LOCK_POLL_MS = 25

export class RedisSessionStore implements ServerSessionStore {
  readonly #ctx: StoreContext
  readonly #settings: RedisStoreSettings
  readonly #client: RedisClient
  readonly #keys: KeyLayout
  readonly #cache: SessionCache<Cached>
  readonly #requests = new WeakMap<FastifyRequest, Promise<Loaded | undefined>>()
  readonly #refs = new WeakMap<object, SessionRef>()
  /** Writes `seal` left running, by handle: a request naming one waits for it. */
  readonly #pending = new Map<string, Promise<void>>()
  /** This instance's renewals, by handle: its other requests wait for them rather than for the Redis lock. */
  readonly #renewing = new Map<string, Promise<unknown>>()
  readonly sessions: RedisSessions

  constructor (settings: RedisStoreSettings, context: StoreContext) {
    this.#ctx = context
    this.#settings = settings
    this.#client = settings.client
    this.#keys = new KeyLayout(settings.prefix)
    this.#cache = new SessionCache({ client: settings.client, channel: this.#keys.channel, size: settings.cacheSize, maxAge: settings.cacheMaxAge, timeout: settings.timeout, log: context.log })
    this.sessions = new RedisSessions(this, settings, context, this.#keys)
  }

  /** Subscribes to the store's channel; nothing is cached before (a failure only keeps the cache off). */
  async start (): Promise<void> {
    if (!await this.#cache.subscribe()) this.#ctx.log.warn('fastify-cognito: the session store could not subscribe to Redis yet; sessions are read from Redis until it does')
  }

  /** The message every instance hears when a session changes here. */
  message (handle: string): string { return this.#cache.message(handle) }

  /** A session changed or ended here: drop this instance's copy and whatever is being loaded. */
  forget (handle: string): void { this.#cache.forget(handle) }

  get cacheSize (): number { return this.#cache.size }

  async read (request: FastifyRequest, kind: TokenKind): Promise<Opened<string> | undefined> {
    const loaded = await this.#load(request)
    const value = loaded?.record === undefined ? undefined : tokenOf(loaded.record, kind)
    return value === undefined ? undefined : { value, rotated: (loaded as Loaded).ref.rotated }
  }

  /** The token at once when the session is in this instance's cache and nothing about it is under way; `undefined` when only `read` can tell. */
  readNow (request: FastifyRequest, kind: TokenKind): Opened<string> | null | undefined {
    const ref = this.#ref(request)
    if (ref === undefined) return null
    const hit = ref.rotated || this.#pending.has(ref.handle) || this.#requests.has(request) ? undefined : this.#cached(ref)
    if (hit === undefined) return undefined
    const value = tokenOf(hit.record, kind)
    return value === undefined ? null : { value, rotated: false }
  }

  async create (request: FastifyRequest, reply: FastifyReply, tokens: SessionTokens): Promise<void> {
    const userAgent = request.headers['user-agent']?.slice(0, 256)
    const { ref, cookie, record } = this.#newSession(tokens, userAgent)
    await this.#write(ref, record)
    this.#setCookie(reply, cookie)
    this.#requests.set(request, Promise.resolve({ ref, record }))
  }

  async update (request: FastifyRequest, reply: FastifyReply, tokens: Partial<SessionTokens>): Promise<void> {
    const loaded = await this.#load(request)
    if (loaded?.record === undefined) return
    const { ref } = loaded
    const record: SessionRecord = { ...loaded.record, ...this.#tokens(tokens) }
    const current = loaded.record
    if (record.accessToken !== current.accessToken || record.idToken !== current.idToken || record.refreshToken !== current.refreshToken) {
      const key = this.#keys.session(ref.sub, ref.handle)
      this.forget(ref.handle)
      const written = await bounded(this.#client.eval(UPDATE, 1, key, this.#encrypt(record, key), this.#keys.channel, this.message(ref.handle)), this.#settings.timeout)
      // An ended session is not brought back by a renewal that raced its end.
      if (written === 0) {
        this.#requests.set(request, Promise.resolve({ ref, record: undefined }))
        return
      }
      this.#remember(ref.handle, record, Date.now(), this.#cache.epoch)
    }
    if (ref.rotated) this.#setCookie(reply, this.#ctx.codec.seal('sid', { s: ref.sid, u: ref.sub }))
    this.#requests.set(request, Promise.resolve({ ref: { ...ref, rotated: false }, record }))
  }

  async destroy (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const loaded = await this.#load(request)
    if (loaded !== undefined) await this.sessions.delete(loaded.ref.sub, loaded.ref.handle)
    this.#requests.set(request, Promise.resolve(undefined))
    this.#ctx.layout.unset(reply, this.#ctx.cookieName, this.#ctx.layout.options('refresh'))
  }

  /** The cookie of a new session, at once; the record is written in the background, and requests naming it here wait for it. */
  seal (tokens: SessionTokens): Record<string, string> {
    const { ref, cookie, record } = this.#newSession(tokens, undefined)
    const write = this.#write(ref, record).finally(() => this.#pending.delete(ref.handle))
    write.catch((err: Error) => this.#ctx.log.warn({ reason: err.message }, 'fastify-cognito: storing a sealed session failed'))
    this.#pending.set(ref.handle, write)
    return { [this.#ctx.cookieName]: cookie }
  }

  /** A new session, written: its cookie (name -> value) once Redis holds it. */
  async add (tokens: SessionTokens): Promise<Record<string, string>> {
    const { ref, cookie, record } = this.#newSession(tokens, undefined)
    await this.#write(ref, record)
    return { [this.#ctx.cookieName]: cookie }
  }

  async exclusive<T> (request: FastifyRequest, renew: () => Promise<T>): Promise<T | undefined> {
    const loaded = await this.#load(request) as Loaded & { record: SessionRecord }
    const { ref } = loaded
    const mine = this.#renewing.get(ref.handle)
    if (mine !== undefined) {
      await mine.catch(() => {})
      this.#requests.delete(request)
      return undefined
    }
    const run = this.#renewLocked(request, loaded, renew)
    this.#renewing.set(ref.handle, run)
    try {
      return await run
    } finally {
      this.#renewing.delete(ref.handle)
    }
  }

  async #renewLocked<T> (request: FastifyRequest, loaded: Loaded & { record: SessionRecord }, renew: () => Promise<T>): Promise<T | undefined> {
    const { ref } = loaded
    const { timeout } = this.#settings
    const lockMs = this.#settings.lockTimeout ?? this.#ctx.grantTimeout + 2000
    const lock = this.#keys.lock(ref.sub, ref.handle)
    const holder = randomBytes(16).toString('base64url')
    if (await bounded(this.#client.set(lock, holder, 'PX', lockMs, 'NX'), timeout) !== 'OK') {
      // Another instance is renewing: wait for it to let go, then read its tokens from Redis.
      const until = Date.now() + lockMs
      do {
        await sleep(LOCK_POLL_MS)
      } while (Date.now() < until && await bounded(this.#client.exists(lock), timeout) === 1)
      this.forget(ref.handle)
      this.#requests.delete(request)
      return undefined
    }
    try {
      // Renewed elsewhere just before the lock was ours: those tokens, not a second grant.
      const fresh = await this.#fetchSeen(ref).then(f => f?.record)
      if (fresh?.accessToken !== loaded.record.accessToken) {
        this.#requests.set(request, Promise.resolve({ ref, record: fresh }))
        return undefined
      }
      return await renew()
    } finally {
      bounded(this.#client.eval(UNLOCK, 1, lock, holder), timeout).catch(() => {})
    }
  }

  async close (): Promise<void> {
    await Promise.allSettled([...this.#pending.values()])
    await this.#cache.close()
  }

  #load (request: FastifyRequest): Promise<Loaded | undefined> {
    let loading = this.#requests.get(request)
    if (loading === undefined) {
      loading = this.#loadRequest(request)
      this.#requests.set(request, loading)
    }
    return loading
  }

  async #loadRequest (request: FastifyRequest): Promise<Loaded | undefined> {
    const ref = this.#ref(request)
    if (ref === undefined) return undefined
    await this.#pending.get(ref.handle)
    const hit = this.#cached(ref)
    if (hit !== undefined) return { ref, ...hit }
    const fetched = await this.#fetchSeen(ref)
    return { ref, record: fetched?.record, seen: fetched?.seen }
  }

  /** The session from this instance's cache, the use recorded; `seen` is the last use before this one. */
  #cached (ref: SessionRef): Cached | undefined {
    const now = Date.now()
    const hit = this.#cache.get(ref.handle, now)
    if (hit === undefined) return undefined
    const seen = hit.seen
    hit.seen = this.#touch(ref, seen, now)
    return { record: hit.record, seen }
  }

  /** Writes "last seen" at most once per touch interval, in the background: a failure costs nothing but the date. */
  #touch (ref: SessionRef, seen: number, now: number): number {
    if (now - seen < this.#settings.touchInterval) return seen
    bounded(this.#client.eval(TOUCH, 1, this.#keys.session(ref.sub, ref.handle), now), this.#settings.timeout).catch(() => {})
    return now
  }

  /** The session the request's cookie names (one ref per opened cookie, which the codec remembers: its handle is a hash); `undefined` when there is none, or it is tampered, foreign or too old. */
  #ref (request: FastifyRequest): SessionRef | undefined {
    const sealed = this.#ctx.layout.cookies(request)[this.#ctx.cookieName]
    const opened = sealed === undefined || sealed === '' ? undefined : this.#ctx.codec.open('sid', sealed, request.log)
    const value = opened?.value as { s?: unknown, u?: unknown } | undefined
    if (opened === undefined || typeof value?.s !== 'string' || typeof value.u !== 'string') return undefined
    let ref = this.#refs.get(opened)
    if (ref === undefined) this.#refs.set(opened, ref = Object.freeze({ sid: value.s, sub: value.u, handle: handleOf(value.s), rotated: opened.rotated }))
    return ref
  }

  /** The record from Redis (cached when nothing changed meanwhile); `undefined` when unknown, expired or not ours. */
  async #fetchSeen (ref: SessionRef): Promise<{ record: SessionRecord, seen: number } | undefined> {
    const epoch = this.#cache.epoch
    const key = this.#keys.session(ref.sub, ref.handle)
    const fields = await bounded(this.#client.hgetall(key), this.#settings.timeout)
    const record = this.open(fields.data, key)
    if (record === undefined) {
      this.forget(ref.handle)
      return undefined
    }
    const seen = Number(fields.seen)
    this.#remember(ref.handle, record, this.#touch(ref, seen, Date.now()), epoch)
    return { record, seen }
  }

  /** When the session was last used before this request (the store moves the clock itself, once per touch interval). */
  async lastSeen (request: FastifyRequest): Promise<number | undefined> {
    return (await this.#load(request))?.seen
  }

  /** Nothing to write: the store records each use itself when it loads the session. */
  touch (): void {}

  /** Opens a record read at `key`. */
  open (data: string | undefined, key: string): SessionRecord | undefined {
    const json = data === undefined ? undefined : decryptRecord(this.#ctx.atRestKeys, data, key)
    return json === undefined ? undefined : JSON.parse(json) as SessionRecord
  }

  #remember (handle: string, record: SessionRecord, seen: number, epoch: number): void {
    this.#cache.set(handle, { record, seen }, epoch)
  }

  #encrypt (record: SessionRecord, key: string): string {
    return encryptRecord(this.#ctx.atRestKeys, JSON.stringify(record), key)
  }

  #tokens (tokens: Partial<SessionTokens>): Partial<SessionTokens> {
    const out: Partial<SessionTokens> = {}
    if (tokens.accessToken !== undefined) out.accessToken = tokens.accessToken
    if (tokens.idToken !== undefined) out.idToken = tokens.idToken
    if (tokens.refreshToken !== undefined && this.#ctx.keepRefresh) out.refreshToken = tokens.refreshToken
    return out
  }

  #newSession (tokens: SessionTokens, userAgent: string | undefined): { ref: SessionRef, cookie: string, record: SessionRecord } {
    const sub = subOf(tokens.accessToken)
    // 256 random bits: the session id, sealed in the cookie, never stored or logged as it is.
    const sid = randomBytes(32).toString('base64url')
    const ref = { sid, sub, handle: handleOf(sid), rotated: false }
    const record = { ...this.#tokens(tokens), created: Date.now(), ...(userAgent !== undefined ? { userAgent } : {}) } as SessionRecord
    return { ref, cookie: this.#ctx.codec.seal('sid', { s: sid, u: sub }), record }
  }

  async #write (ref: SessionRef, record: SessionRecord): Promise<void> {
    const now = Date.now()
    const ttl = this.#ctx.maxAge * 1000
    const key = this.#keys.session(ref.sub, ref.handle)
    const epoch = this.#cache.epoch
    await bounded(this.#client.eval(CREATE, 2, key, this.#keys.index(ref.sub), this.#encrypt(record, key), now, ttl, ref.handle, now + ttl), this.#settings.timeout)
    this.#remember(ref.handle, record, now, epoch)
  }

  #setCookie (reply: FastifyReply, cookie: string): void {
    this.#ctx.layout.set(reply, this.#ctx.cookieName, cookie, this.#ctx.layout.options('refresh'))
  }
}
