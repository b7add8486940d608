/**
 * `fastify.cognito.sessions` for the Redis store: list a user's sessions, end one, end them all. Ending
 * a session revokes its refresh token at Cognito, deletes its record and tells every instance, so its
 * next request, wherever it lands, is a 401. An id names the user and the session's handle (a hash of
 * the session id): it can end a session, never sign anyone in.
 */
import { bounded, DELETE, SUB } from './redis-keys.js'
import type { KeyLayout } from './redis-keys.js'
import type { RedisSessionStore, RedisStoreSettings } from './redis-store.js'
import type { StoreContext } from './store.js'
import type { CognitoSessions, SessionInfo, SessionTokens } from '../types.js'

const ID = new RegExp(`^(${SUB.source.slice(1, -1)}):([\\w-]{32})$`)

export class RedisSessions implements CognitoSessions {
  readonly #store: RedisSessionStore
  readonly #settings: RedisStoreSettings
  readonly #ctx: StoreContext
  readonly #keys: KeyLayout

  constructor (store: RedisSessionStore, settings: RedisStoreSettings, context: StoreContext, keys: KeyLayout) {
    this.#store = store
    this.#settings = settings
    this.#ctx = context
    this.#keys = keys
  }

  create (tokens: SessionTokens): Promise<Record<string, string>> {
    return this.#store.add(tokens)
  }

  async list (sub: string): Promise<SessionInfo[]> {
    const handles = await this.#handles(sub, Date.now())
    const sessions = await Promise.all(handles.map(async handle => {
      const key = this.#keys.session(sub, handle)
      const fields = await bounded(this.#settings.client.hgetall(key), this.#settings.timeout)
      const record = this.#store.open(fields.data, key)
      if (record === undefined) return undefined
      const info: SessionInfo = { id: `${sub}:${handle}`, created: new Date(record.created), lastSeen: new Date(Number(fields.seen)), userAgent: record.userAgent }
      return info
    }))
    return sessions.filter(s => s !== undefined).sort((a, b) => a.created.getTime() - b.created.getTime())
  }

  async end (id: string): Promise<boolean> {
    const match = typeof id === 'string' ? ID.exec(id) : null
    if (match === null) return false
    const [, sub, handle] = match as unknown as [string, string, string]
    const key = this.#keys.session(sub, handle)
    const record = this.#store.open((await bounded(this.#settings.client.hgetall(key), this.#settings.timeout)).data, key)
    if (record?.refreshToken !== undefined) {
      try {
        await this.#ctx.revoke(record.refreshToken)
      } catch (err) {
        // The session ends anyway: its record goes, so nothing here uses the token again.
        this.#ctx.log.warn({ code: (err as { code?: string }).code, reason: (err as Error).message }, 'fastify-cognito: revoking the refresh token of an ended session failed')
      }
    }
    return await this.delete(sub, handle) === 1
  }

  async endAll (sub: string): Promise<number> {
    let ended = 0
    for (const handle of await this.#handles(sub, '-inf')) if (await this.end(`${sub}:${handle}`)) ended++
    return ended
  }

  /** Deletes a session's record and index entry, and tells every instance; how many records were deleted. */
  async delete (sub: string, handle: string): Promise<number> {
    this.#store.forget(handle)
    const deleted = await bounded(this.#settings.client.eval(DELETE, 2, this.#keys.session(sub, handle), this.#keys.index(sub), this.#keys.channel, handle, this.#store.message(handle)), this.#settings.timeout)
    this.#store.forget(handle)
    return deleted as number
  }

  async #handles (sub: string, from: number | string): Promise<string[]> {
    if (typeof sub !== 'string' || !SUB.test(sub)) return []
    return await bounded(this.#settings.client.zrangebyscore(this.#keys.index(sub), from, '+inf'), this.#settings.timeout)
  }
}
