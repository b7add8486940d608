/**
 * `redisSessionStore({ client, mode: 'revocation' })`: cookie sessions (the tokens in sealed cookies, as
 * without a store: {@link CookieSessionStore}) that can still be ended everywhere at once. Redis holds no
 * token: one key per user who was cut off, `{<prefix>:<sub>}:cutoff` (ms since the epoch), which lives as
 * long as the longest session (`cookie.refreshMaxAge`: after that no session older than the cut-off can
 * exist), and the store's channel.
 *
 * A login seals its start time, bound to its user, into one more cookie (`<name>_started`, the codec's
 * `started` purpose). The lifecycle asks `cutOff` on every resume and renewal: a session that started
 * before its user's cut-off is ended. A session with no start time of its user (started before this mode,
 * or a cookie removed or taken from another user's session) counts as started before any cut-off: it lives
 * on until its user is cut off, then ends (a missing cookie never gets around a cut-off).
 *
 * Cut-offs are read through a local cache (no cut-off is cached too, so the warm path calls no Redis),
 * kept true by pub/sub like the sessions cache (redis-cache.ts): `endAll` publishes the user's `sub` and
 * each instance drops its copy; a miss costs one GET.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidOptionError } from '../errors.js'
import { SessionCache } from './redis-cache.js'
import { bounded, KeyLayout, SUB, subOf, type RedisStoreSettings } from './redis-keys.js'
import { CookieSessionStore, type ServerSessionStore, type StoreContext } from './store.js'
import type { CognitoSessions, SessionTokens } from '../types.js'

/** The user's cut-off: one GET (a script, so the client needs no command beyond the store's). */
const GET = 'return redis.call(\'get\', KEYS[1])'

/** A cut-off moves only forward (instances' clocks may differ a little); its TTL is renewed; then the news. */
const CUT_OFF = `
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('set', KEYS[1], ARGV[1]) end
redis.call('pexpire', KEYS[1], ARGV[2])
redis.call('publish', ARGV[3], ARGV[4])
return 1`

const needsSessions = async (): Promise<never> => {
  throw new InvalidOptionError('sessionStore: sessions.list and sessions.end need redisSessionStore({ mode: \'sessions\' }); mode \'revocation\' keeps the tokens in cookies and offers sessions.endAll only')
}

export class RedisRevocationStore extends CookieSessionStore implements ServerSessionStore {
  readonly #ctx: StoreContext
  readonly #settings: RedisStoreSettings
  readonly #keys: KeyLayout
  /** Cut-offs by `sub`; `null`: the user has none. */
  readonly #cache: SessionCache<number | null>
  readonly sessions: CognitoSessions

  constructor (settings: RedisStoreSettings, context: StoreContext) {
    super(context.codec, context.layout, context.keepRefresh)
    this.#ctx = context
    this.#settings = settings
    this.#keys = new KeyLayout(settings.prefix)
    this.#cache = new SessionCache({ client: settings.client, channel: this.#keys.channel, size: settings.cacheSize, maxAge: settings.cacheMaxAge, timeout: settings.timeout, log: context.log })
    this.sessions = {
      create: async tokens => this.seal(tokens),
      list: needsSessions,
      end: needsSessions,
      endAll: sub => this.endAll(sub)
    }
  }

  /** Subscribes to the store's channel; nothing is cached before (a failure only keeps the cache off). */
  async start (): Promise<void> {
    if (!await this.#cache.subscribe()) this.#ctx.log.warn('fastify-cognito: the session store could not subscribe to Redis yet; cut-offs are read from Redis until it does')
  }

  override create (request: FastifyRequest, reply: FastifyReply, tokens: SessionTokens): void {
    super.create(request, reply, tokens)
    this.#ctx.layout.setStarted(reply, this.#sealStarted(tokens.accessToken))
  }

  override destroy (request: FastifyRequest, reply: FastifyReply): void {
    super.destroy(request, reply)
    if (this.#ctx.layout.cookies(request)[this.#ctx.layout.startedName] !== undefined) this.#ctx.layout.clearStarted(reply)
  }

  override seal (tokens: SessionTokens): Record<string, string> {
    return { ...super.seal(tokens), [this.#ctx.layout.startedName]: this.#sealStarted(tokens.accessToken) }
  }

  /** Whether the request's session of `sub` started before the user's cut-off (one with no start time of its user: whenever there is one). */
  async cutOff (request: FastifyRequest, reply: FastifyReply, sub: string): Promise<boolean> {
    const cutoff = await this.#cutoff(sub)
    if (cutoff === null) return false
    const started = this.#started(request, reply, sub)
    return started === undefined || started < cutoff
  }

  /** "Log out everywhere": every session of the user that started before now ends, on every instance. The count is not known here: 0. */
  async endAll (sub: string): Promise<number> {
    if (typeof sub !== 'string' || !SUB.test(sub)) return 0
    this.#cache.forget(sub)
    await bounded(this.#settings.client.eval(CUT_OFF, 1, this.#keys.cutoff(sub), Date.now(), this.#ctx.maxAge * 1000, this.#keys.channel, this.#cache.message(sub)), this.#settings.timeout)
    this.#cache.forget(sub)
    return 0
  }

  async close (): Promise<void> {
    await this.#cache.close()
  }

  #sealStarted (accessToken: string): string {
    return this.#ctx.codec.seal('started', { u: subOf(accessToken), s: Date.now() })
  }

  /** The session's start (ms), when its cookie opens and names this user; re-sealed when opened with an older secret. */
  #started (request: FastifyRequest, reply: FastifyReply, sub: string): number | undefined {
    const sealed = this.#ctx.layout.cookies(request)[this.#ctx.layout.startedName]
    const opened = sealed === undefined ? undefined : this.#ctx.codec.open('started', sealed, request.log)
    if (opened === undefined) return undefined
    const value = opened.value as { u?: unknown, s?: unknown }
    if (value.u !== sub || typeof value.s !== 'number') return undefined
    if (opened.rotated) this.#ctx.layout.setStarted(reply, this.#ctx.codec.seal('started', value))
    return value.s
  }

  async #cutoff (sub: string): Promise<number | null> {
    const hit = this.#cache.get(sub)
    if (hit !== undefined) return hit
    const epoch = this.#cache.epoch
    const value = await bounded(this.#settings.client.eval(GET, 1, this.#keys.cutoff(sub)), this.#settings.timeout) as string | null
    const cutoff = value === null ? null : Number(value)
    this.#cache.set(sub, cutoff, epoch)
    return cutoff
  }
}
