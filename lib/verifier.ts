/**
 * Cognito's JWT rules on jose (RS256 only; `iss` from configuration; access tokens need
 * `token_use: access` and our `client_id`, ID tokens `token_use: id` and our `aud`; `exp`, `nbf`
 * and `iat` with the leeway), and a bounded cache of tokens already verified.
 */
import { jwtVerify } from 'jose'
import type { JWTPayload } from 'jose'
import { InvalidTokenError, TokenExpiredError, toVerificationError } from './errors.js'
import type { JwksCache } from './jwks-cache.js'
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from './types.js'

export interface VerifierConfig {
  issuers: readonly string[]
  clientId: string
  leeway: number
  tokenCacheSize: number
}

/** Cognito's largest tokens are about 6 kB; refuse to parse anything far beyond that. */
const MAX_TOKEN_LENGTH = 16 * 1024

interface CacheEntry { claims: JWTPayload, exp: number }

/** A least-recently-used map of verified tokens: a repeated token costs a lookup, not an RSA verification. */
class VerifiedTokenCache {
  readonly #max: number
  readonly #entries = new Map<string, CacheEntry>()

  constructor (max: number) {
    this.#max = max
  }

  get (token: string): CacheEntry | undefined {
    const entry = this.#entries.get(token)
    if (entry !== undefined) {
      this.#entries.delete(token)
      this.#entries.set(token, entry)
    }
    return entry
  }

  set (token: string, entry: CacheEntry): void {
    if (this.#max === 0) return
    this.#entries.delete(token)
    this.#entries.set(token, entry)
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  get size (): number {
    return this.#entries.size
  }
}

type TokenUse = 'access' | 'id'

export class Verifier {
  readonly #config: VerifierConfig
  readonly #jwks: JwksCache
  readonly #cache: VerifiedTokenCache

  constructor (config: VerifierConfig, jwks: JwksCache) {
    this.#config = config
    this.#jwks = jwks
    this.#cache = new VerifiedTokenCache(config.tokenCacheSize)
  }

  /** How many verified tokens are cached (bounded by `tokenCacheSize`). */
  get cacheSize (): number {
    return this.#cache.size
  }

  verifyAccessToken (token: string): Promise<CognitoAccessTokenClaims> {
    return this.#verify(token, 'access') as Promise<CognitoAccessTokenClaims>
  }

  async verifyIdToken (token: string, nonce?: string): Promise<CognitoIdTokenClaims> {
    const claims = await this.#verify(token, 'id') as CognitoIdTokenClaims
    if (nonce !== undefined && claims.nonce !== nonce) throw new InvalidTokenError('nonce mismatch')
    return claims
  }

  async #verify (token: string, use: TokenUse): Promise<JWTPayload> {
    const key = `${use}:${token}`
    const cached = this.#cache.get(key)
    const now = Math.floor(Date.now() / 1000)
    if (cached !== undefined) {
      if (cached.exp + this.#config.leeway <= now) throw new TokenExpiredError()
      return cached.claims
    }
    try {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('malformed token')
      const { payload } = await jwtVerify(token, this.#jwks.getKey, {
        algorithms: ['RS256'],
        issuer: this.#config.issuers as string[],
        clockTolerance: this.#config.leeway,
        requiredClaims: ['sub', 'exp', 'iat', 'token_use'],
        ...(use === 'id' ? { audience: this.#config.clientId } : {})
      })
      this.#checkCognitoClaims(payload, use, now)
      this.#cache.set(key, { claims: payload, exp: payload.exp as number })
      return payload
    } catch (err) {
      throw toVerificationError(err)
    }
  }

  #checkCognitoClaims (payload: JWTPayload, use: TokenUse, now: number): void {
    // jose checks iat's type; a token minted in the future (beyond the leeway) is refused here.
    if ((payload.iat as number) > now + this.#config.leeway) throw new InvalidTokenError('iat is in the future')
    if (payload.token_use !== use) throw new InvalidTokenError(`token_use is not "${use}"`)
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('sub is missing')
    if (use === 'access') {
      // Cognito access tokens carry no aud: the client is in client_id.
      if (payload.client_id !== this.#config.clientId) throw new InvalidTokenError('client_id is not this app client')
      if (typeof payload.username !== 'string') throw new InvalidTokenError('username is missing')
    } else if (typeof payload['cognito:username'] !== 'string') {
      throw new InvalidTokenError('cognito:username is missing')
    }
  }
}

/** `cognito:groups` when it is a list of strings; anything else counts as no groups. */
export function groupsOf (claims: { 'cognito:groups'?: unknown }): string[] {
  const groups = claims['cognito:groups']
  return Array.isArray(groups) && groups.every(g => typeof g === 'string') ? groups : []
}

/** The access token's space-separated scopes. */
export function scopesOf (claims: { scope?: unknown }): string[] {
  return typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []
}
