/**
 * The pool's JWKS, fetched once and kept: refetched on an unknown `kid` at most once per cooldown,
 * refreshed in the background when older than `maxAge`, and kept serving while Cognito's JWKS
 * endpoint is down. Concurrent callers share one fetch.
 *
 * What it keeps is the usable part of the answer: RS256 signing keys of 2048 bits or more, each
 * pinned to `alg: RS256`, so the verifier (aws-jwt-verify) accepts no other algorithm with them.
 */
import { createPublicKey } from 'node:crypto'
import type { JWK } from 'jose'
import { JwksFetchError, toJwksFetchError } from '../errors.js'
import { callCognito, type HttpConfig } from './http.js'

export interface JwksCacheConfig extends HttpConfig {
  jwksUri: string
  cooldown: number
  maxAge: number
  /** Called with a message (never key material) when a background refresh fails. */
  onBackgroundError?: (err: Error) => void
}

/** The signing keys kept from one JWKS answer; a new object on every successful fetch. */
export interface SigningKeySet { readonly keys: readonly SigningJwk[] }
export interface SigningJwk { readonly kty: 'RSA', readonly kid: string, readonly n: string, readonly e: string, readonly alg: 'RS256', readonly use: 'sig' }

/** A JWKS answer is a few kB; refuse to buffer more. */
const MAX_BODY = 512 * 1024
/** A failed fetch of a cold cache is not retried sooner than this, so a flood against a dead JWKS endpoint stays a trickle. */
const COLD_RETRY_MS = 1000
/** RFC 7518 §3.3: RS256 keys are 2048 bits or larger. */
const MIN_RSA_BITS = 2048

/** A key Cognito signs tokens with: RSA, named by a `kid`, for RS256 signatures. */
function isSigningKey (key: JWK): boolean {
  return key.kty === 'RSA' && typeof key.kid === 'string' && typeof key.n === 'string' && typeof key.e === 'string' &&
    (key.alg === undefined || key.alg === 'RS256') && (key.use === undefined || key.use === 'sig')
}

/**
 * A JWKS entry as the verifier may use it: a signing key (above) of 2048 bits or more, pinned to RS256;
 * `undefined` for any other entry. The doctor counts keys by the same rule.
 */
export function usableSigningKey (key: unknown): SigningJwk | undefined {
  if (typeof key !== 'object' || key === null || !isSigningKey(key as JWK)) return undefined
  const { kid, n, e } = key as { kid: string, n: string, e: string }
  const jwk = { kty: 'RSA', kid, n, e, alg: 'RS256', use: 'sig' } as const
  // Node reads any strings as an RSA key (garbage gives a short modulus); it is the length that decides.
  const { modulusLength } = createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails as { modulusLength: number }
  return modulusLength >= MIN_RSA_BITS ? jwk : undefined
}

export class JwksCache {
  readonly #config: JwksCacheConfig
  #keys: SigningKeySet | undefined
  #kids = new Set<string>()
  #fetchedAt = 0
  #lastAttempt = Number.NEGATIVE_INFINITY
  #lastFailure: JwksFetchError | undefined
  #pending: Promise<void> | undefined

  constructor (config: JwksCacheConfig) {
    this.#config = config
  }

  /**
   * The keys held now, without waiting; `undefined` while none were ever fetched. When they are older
   * than `maxAge` a refresh starts in the background and these keep answering meanwhile.
   */
  keysNow (): SigningKeySet | undefined {
    if (this.#keys !== undefined) {
      const now = Date.now()
      if (now - this.#fetchedAt > this.#config.maxAge && this.#canFetch(now)) {
        this.#refresh().catch((err: Error) => this.#config.onBackgroundError?.(err))
      }
    }
    return this.#keys
  }

  /**
   * The keys of a cold cache (one {@link keysNow} found empty), fetched: concurrent callers share the
   * fetch, and one that just failed is rethrown for a second instead of fetched again.
   */
  async keys (): Promise<SigningKeySet> {
    if (this.#lastFailure !== undefined && Date.now() - this.#lastAttempt < COLD_RETRY_MS) throw this.#lastFailure
    await this.#refresh()
    return this.#keys as SigningKeySet
  }

  /**
   * A token named a `kid` the keys do not hold: it may be a key Cognito has just rotated in, so refetch,
   * at most once per cooldown. Resolves whether the keys were refetched (a failed refetch keeps the old keys).
   */
  async refetchForUnknownKid (): Promise<boolean> {
    if (!this.#canFetch(Date.now())) return false
    await this.#refresh().catch(() => {})
    return true
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
      const found = (json as { keys?: unknown } | null)?.keys
      if (!Array.isArray(found)) throw new Error('answered something that is not a key set')
      const keys = (found as unknown[]).map(usableSigningKey).filter((key): key is SigningJwk => key !== undefined)
      // A set without one usable RS256 signing key (empty, or keys of another kind) is a broken answer,
      // not a rotation: taking it would refuse every token until the next refetch. Keep the keys we have.
      if (keys.length === 0) throw new Error('answered no RS256 signing key')
      this.#keys = Object.freeze({ keys: Object.freeze(keys) })
      this.#kids = new Set(keys.map(key => key.kid))
      this.#fetchedAt = Date.now()
      this.#lastFailure = undefined
    } catch (err) {
      this.#lastFailure = toJwksFetchError(err)
      throw this.#lastFailure
    }
  }
}
