/**
 * The Redis store's local cache of opened sessions, kept true by pub/sub: every renewal or end anywhere
 * is published on the store's channel (`<instance> <handle>`), and each instance drops its copy. Until the
 * subscription is live (start, reconnection) nothing is cached, and the cache is emptied when it drops,
 * so a message missed then cannot leave a stale copy; `maxAge` bounds the rest.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { LruMap } from '../util/lru.js'
import { bounded } from './redis-keys.js'
import type { RedisClient, RedisSubscriber } from './redis-keys.js'

export interface CacheSettings { client: RedisClient, channel: string, size: number, maxAge: number, timeout: number, log: FastifyBaseLogger }

export class SessionCache<T> {
  readonly #settings: CacheSettings
  readonly #entries: LruMap<string, T>
  /** Bumped by every change heard of or made: a load that saw one start and end does not cache what it read. */
  #epoch = 0
  #listening = false
  readonly #instance = randomBytes(8).toString('base64url')
  readonly #subscriber: RedisSubscriber

  constructor (settings: CacheSettings) {
    this.#settings = settings
    this.#entries = new LruMap(settings.size)
    // ioredis re-subscribes a plain client by itself after a reconnection, without handling a failure of
    // that call: a connection lost again meanwhile would be an unhandled rejection. The cache re-subscribes
    // itself ('ready' below). (A Cluster's duplicate takes other arguments, and manages its subscriber.)
    const { client } = settings
    this.#subscriber = client.isCluster === true ? client.duplicate() : (client.duplicate as (override: object) => RedisSubscriber).call(client, { autoResubscribe: false })
    this.#subscriber.on('message', (_channel, message) => {
      const [from, handle] = message.split(' ')
      if (from !== this.#instance) this.forget(handle as string)
    })
    this.#subscriber.on('close', () => {
      this.#listening = false
      this.#epoch++
      this.#entries.clear()
    })
    this.#subscriber.on('ready', () => { this.subscribe().catch(() => {}) })
    this.#subscriber.on('error', err => settings.log.debug({ reason: err.message }, 'fastify-cognito: the session store\'s subscription failed'))
  }

  /** Subscribes to the channel; whether it worked (until it does, nothing is cached). */
  async subscribe (): Promise<boolean> {
    try {
      await bounded(this.#subscriber.subscribe(this.#settings.channel), this.#settings.timeout)
      this.#listening = true
      return true
    } catch {
      return false
    }
  }

  /** The message every instance hears when a session changes here; the others drop their copy. */
  message (handle: string): string {
    return `${this.#instance} ${handle}`
  }

  /** The current epoch: pass it back to `set` with what was read since. */
  get epoch (): number {
    return this.#epoch
  }

  get (handle: string, now?: number): T | undefined {
    return this.#entries.get(handle, now)
  }

  /** Keeps `value` unless something changed since `epoch`, or nobody would tell this instance of a change. */
  set (handle: string, value: T, epoch: number): void {
    if (this.#listening && epoch === this.#epoch) this.#entries.set(handle, value, Date.now() + this.#settings.maxAge)
  }

  /** A session changed or ended: drop the copy, and whatever is being loaded. */
  forget (handle: string): void {
    this.#epoch++
    this.#entries.delete(handle)
  }

  get size (): number {
    return this.#entries.size
  }

  async close (): Promise<void> {
    await bounded(this.#subscriber.quit(), this.#settings.timeout).catch(() => {})
  }
}
