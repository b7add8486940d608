/**
 * Cognito's userInfo endpoint (`GET <domain>/oauth2/userInfo`, OIDC Core §5.3) with a user's access
 * token: the user's current attributes, and the one way to learn that a token was revoked. Local JWT
 * checks cannot see revocation: a revoked sign-in's access tokens verify until they expire, but
 * userInfo answers 401 for them.
 *
 * The revocation check is cached per token for `ttl` seconds and shared by concurrent callers, so a
 * burst of requests with one token costs one call.
 */
import { toUserInfoError } from '../errors.js'
import { callCognito, type HttpConfig } from './http.js'
import { LruMap } from '../util/lru.js'

export interface UserInfoConfig extends HttpConfig {
  userInfoUrl: string
  /** Seconds a revocation answer is reused for the same token; 0: never reused (concurrent callers still share one call). */
  revocationCheckTtl: number
  cacheSize: number
}

/** A user's attributes are a few kB. */
const MAX_BODY = 64 * 1024

export class UserInfoClient {
  readonly #config: UserInfoConfig
  /** Tokens checked recently: live or revoked. */
  readonly #checked: LruMap<string, 'live' | 'revoked'>
  readonly #inFlight = new Map<string, Promise<Record<string, unknown>>>()

  constructor (config: UserInfoConfig) {
    this.#config = config
    this.#checked = new LruMap(config.cacheSize)
  }

  /** The user's attributes, fresh from Cognito. Throws 401 (revoked) or 502 (Cognito failed). */
  fetch (accessToken: string): Promise<Record<string, unknown>> {
    let pending = this.#inFlight.get(accessToken)
    if (pending === undefined) {
      pending = this.#call(accessToken).finally(() => this.#inFlight.delete(accessToken))
      this.#inFlight.set(accessToken, pending)
    }
    return pending
  }

  /** Resolves when Cognito still honours the token; throws a coded 401 when it does not, 502 when Cognito fails (not cached). */
  async assertNotRevoked (accessToken: string): Promise<void> {
    const known = this.#checked.get(accessToken)
    if (known === 'revoked') throw toUserInfoError(undefined, 401)
    if (known === 'live') return
    const until = Date.now() + this.#config.revocationCheckTtl * 1000
    try {
      await this.fetch(accessToken)
      this.#checked.set(accessToken, 'live', until)
    } catch (err) {
      // Only Cognito's answer is remembered; its failures are not (the next request asks again).
      if ((err as { statusCode?: number }).statusCode === 401) this.#checked.set(accessToken, 'revoked', until)
      throw err
    }
  }

  async #call (accessToken: string): Promise<Record<string, unknown>> {
    let answer
    try {
      answer = await callCognito(this.#config, {
        endpoint: 'userInfo endpoint',
        url: this.#config.userInfoUrl,
        method: 'GET',
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        maxBody: MAX_BODY
      })
    } catch (err) {
      throw toUserInfoError(err)
    }
    const { status, json } = answer
    if (status !== 200 || json === null || typeof json !== 'object' || Array.isArray(json)) throw toUserInfoError(undefined, status)
    return json as Record<string, unknown>
  }
}
