/**
 * The pool's JWKS, fetched once and kept: refetched on an unknown `kid` at most once per cooldown,
 * refreshed in the background when older than `maxAge`, and kept serving while Cognito's JWKS
 * endpoint is down. Concurrent callers share one fetch.
 */
import { createLocalJWKSet, errors as joseErrors } from 'jose'
import type { CryptoKey, JSONWebKeySet, JWK, JWTHeaderParameters, FlattenedJWSInput } from 'jose'
import { JwksFetchError, toJwksFetchError } from '../errors.js'
import { callCognito, type HttpConfig } from './http.js'

export interface JwksCacheConfig extends HttpConfig {
  jwksUri: string
  cooldown: number
  maxAge: number
  /** Called with a message (never key material) when a background refresh fails. */
  onBackgroundError?: (err: Error) => void
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>

/** A JWKS answer is a few kB; refuse to buffer more. */
const MAX_BODY = 512 * 1024
/** A failed fetch of a cold cache is not retried sooner than this, so a flood against a dead JWKS endpoint stays a trickle. */
const COLD_RETRY_MS = 1000

/** A key Cognito signs tokens with: RSA, named by a `kid`, for RS256 signatures. */
export function isSigningKey (key: JWK): boolean {
  return key.kty === 'RSA' && typeof key.kid === 'string' && typeof key.n === 'string' && typeof key.e === 'string' &&
    (key.alg === undefined || key.alg === 'RS256') && (key.use === undefined || key.use === 'sig')
}

export class JwksCache {
  readonly #config: JwksCacheConfig
  #resolver: KeyResolver | undefined
  #kids = new Set<string>()
  #fetchedAt = 0
  #lastAttempt = Number.NEGATIVE_INFINITY
  #lastFailure: JwksFetchError | undefined
  #pending: Promise<void> | undefined

  constructor (config: JwksCacheConfig) {
    this.#config = config
  }

  /** jose's key resolver: `jwtVerify(token, cache.getKey, ...)`. */
  readonly getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    // Cognito names the signing key of every token (AWS: "signature by kid"); a token without one is
    // not Cognito's, even when the set holds a single key that would verify it. No fetch for it either.
    if (typeof header.kid !== 'string') throw new joseErrors.JWKSNoMatchingKey()
    const now = Date.now()
    if (this.#resolver === undefined) {
      if (this.#lastFailure !== undefined && now - this.#lastAttempt < COLD_RETRY_MS) throw this.#lastFailure
      await this.#refresh()
    } else if (now - this.#fetchedAt > this.#config.maxAge && this.#canFetch(now)) {
      // Stale: refresh in the background and keep answering with the keys we have.
      this.#refresh().catch((err: Error) => this.#config.onBackgroundError?.(err))
    }
    if (!this.#kids.has(header.kid) && this.#canFetch(now)) {
      // An unknown kid may be a key Cognito has just rotated in: one refetch per cooldown window.
      await this.#refresh().catch(() => {})
    }
    return (this.#resolver as KeyResolver)(header, token) as Promise<CryptoKey>
  }

  /** Whether the current key set holds `kid`: a cached verification by a key since removed no longer holds. */
  hasKid (kid: string): boolean {
    return this.#kids.has(kid)
  }

  /** Fetches the keys now (a warm-up at start); rejects when they cannot be fetched. */
  hydrate (): Promise<void> {
    return this.#refresh()
  }

  #canFetch (now: number): boolean {
    return this.#pending !== undefined || now - this.#lastAttempt >= this.#config.cooldown
  }

  #refresh (): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => { this.#pending = undefined })
    return this.#pending
  }

  async #fetch (): Promise<void> {
    this.#lastAttempt = Date.now()
    try {
      const { status, json } = await callCognito(this.#config, {
        endpoint: 'JWKS endpoint',
        url: this.#config.jwksUri,
        method: 'GET',
        headers: { accept: 'application/json' },
        maxBody: MAX_BODY
      })
      if (status !== 200) throw new Error(`HTTP ${status}`)
      const jwks = json as JSONWebKeySet
      // createLocalJWKSet checks the shape; keys it cannot use simply never match a token.
      const resolver = createLocalJWKSet(jwks)
      // A set without one RS256 signing key (empty, or keys of another kind) is a broken answer, not a
      // rotation: taking it would refuse every token until the next refetch. Keep the keys we have.
      if (!jwks.keys.some(isSigningKey)) throw new Error('answered no RS256 signing key')
      this.#resolver = resolver
      this.#kids = new Set(jwks.keys.map(key => key.kid).filter((kid): kid is string => typeof kid === 'string'))
      this.#fetchedAt = Date.now()
      this.#lastFailure = undefined
    } catch (err) {
      this.#lastFailure = toJwksFetchError(err)
      throw this.#lastFailure
    }
  }
}
