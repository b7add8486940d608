/**
 * Access tokens for the app's own calls to other APIs: Cognito's client credentials grant (RFC 6749
 * §4.4) with a confidential machine client, HTTP Basic, `scope` = custom scopes.
 *
 * AWS advises caching these tokens and renewing them at about 75 % of their life, so:
 * - one cached token per scope set (the order of the scopes does not matter), in a bounded map;
 * - past 3/4 of its life the cached token is still served while one grant renews it in the
 *   background; a failed renewal keeps serving it until it expires;
 * - one grant in flight per scope set: a burst of callers shares it;
 * - every failure (refusal, timeout, 5xx, not JSON) is a coded 502, never a hang: the one HTTP helper
 *   bounds each call with the plugin's timeout.
 */
import { InvalidOptionError, toClientCredentialsError } from '../errors.js'
import type { TokenClient } from './token-client.js'
import { LruMap } from '../util/lru.js'

/** Scope sets remembered: an app asks for a handful. */
const CACHE_SIZE = 100
/** Renew once this share of the token's life has passed. */
const REFRESH_AT = 0.75
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/

interface Cached {
  token: string
  /** ms since the epoch: renew in the background from then on. */
  refreshAt: number
  /** ms since the epoch: no longer served from then on. */
  expiresAt: number
}

export class ClientCredentials {
  readonly #client: TokenClient
  readonly #cache = new LruMap<string, Cached>(CACHE_SIZE)
  readonly #inFlight = new Map<string, Promise<string>>()

  /** `client` is a token client made with the machine client's id and secret. */
  constructor (client: TokenClient) {
    this.#client = client
  }

  /** An access token for `scopes` (none: the client's default scopes). Throws a coded 502 when Cognito fails. */
  async token (scopes: readonly string[] = []): Promise<string> {
    if (!Array.isArray(scopes) || scopes.some(s => typeof s !== 'string' || !SCOPE.test(s))) {
      throw new InvalidOptionError('clientCredentials scopes must be a list of scope names')
    }
    const key = [...new Set(scopes)].sort().join(' ')
    const now = Date.now()
    const cached = this.#cache.get(key, now)
    if (cached !== undefined) {
      // Renewal ahead of time: this caller keeps the current token; a failure keeps it until it expires.
      if (now >= cached.refreshAt) this.#grant(key).catch(() => {})
      return cached.token
    }
    return this.#grant(key)
  }

  /** One grant per scope set at a time. */
  #grant (key: string): Promise<string> {
    let pending = this.#inFlight.get(key)
    if (pending === undefined) {
      pending = this.#call(key).finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, pending)
    }
    return pending
  }

  async #call (key: string): Promise<string> {
    const started = Date.now()
    try {
      const answer = await this.#client.grant({ grant_type: 'client_credentials', ...(key === '' ? {} : { scope: key }) })
      // Without expires_in the token's life is unknown: it is used once and not cached.
      const life = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in * 1000 : 0
      if (life > 0) {
        this.#cache.set(key, { token: answer.access_token, refreshAt: started + life * REFRESH_AT, expiresAt: started + life }, started + life)
      }
      return answer.access_token
    } catch (err) {
      throw toClientCredentialsError(err)
    }
  }
}
