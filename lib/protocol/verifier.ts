/**
 * Cognito's JWT rules on jose (RS256 only; `iss` from configuration; access tokens need
 * `token_use: access` and our `client_id`, ID tokens `token_use: id` and our `aud`; `exp`, `nbf`
 * and `iat` with the leeway), and a bounded cache of tokens already verified.
 *
 * A cached verification holds only while its signing key is still in the pool's key set: when the
 * JWKS drops a key, tokens it signed stop verifying at once, not when they expire. Cached claims are
 * frozen: they are shared by every request that presents the same token.
 *
 * The warm path is synchronous: `cached*` answer the claims of a token verified before and still good
 * by the same rules, or `undefined` when the token must go through the full (async) verification,
 * which then gives the coded error when there is one.
 */
import { jwtVerify } from 'jose'
import type { JWTPayload } from 'jose'
import { InvalidTokenError, TokenExpiredError, toVerificationError } from '../errors.js'
import type { JwksCache } from './jwks-cache.js'
import { audienceOf, deepFreeze, isMachineToken } from './identity.js'
import { LongKeyLruMap } from '../util/lru.js'
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from '../types.js'
import type { CognitoMachineAccessTokenClaims } from '../identity-types.js'

export interface VerifierConfig {
  issuers: readonly string[]
  clientId: string
  /** Clients whose access tokens are accepted (`clientId` among them); ID tokens are for `clientId` only. */
  accessClientIds: readonly string[]
  /** When not empty, an access token's `aud` must hold one of these. */
  audience: readonly string[]
  leeway: number
  tokenCacheSize: number
}

/** Cognito's largest tokens are about 6 kB; refuse to parse anything far beyond that. */
const MAX_TOKEN_LENGTH = 16 * 1024

interface CacheEntry { claims: JWTPayload, exp: number, kid: string, use: TokenUse }

type TokenUse = 'access' | 'id'

export class Verifier {
  readonly #config: VerifierConfig
  readonly #jwks: JwksCache
  readonly #cache: LongKeyLruMap<CacheEntry>

  constructor (config: VerifierConfig, jwks: JwksCache) {
    this.#config = config
    this.#jwks = jwks
    this.#cache = new LongKeyLruMap(config.tokenCacheSize)
  }

  /** How many verified tokens are cached (bounded by `tokenCacheSize`). */
  get cacheSize (): number {
    return this.#cache.size
  }

  /** A user's or a machine's access token of an accepted client. */
  async verifyAccessToken (token: string): Promise<CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims> {
    return await this.#verify(token, 'access') as CognitoAccessTokenClaims
  }

  /** A user's access token of this app's own client: what a browser session and the grants hold. */
  async verifySessionAccessToken (token: string): Promise<CognitoAccessTokenClaims> {
    const claims = await this.verifyAccessToken(token)
    const refusal = this.#notASession(claims)
    if (refusal !== undefined) throw new InvalidTokenError(refusal)
    return claims as CognitoAccessTokenClaims
  }

  async verifyIdToken (token: string, nonce?: string): Promise<CognitoIdTokenClaims> {
    const claims = await this.#verify(token, 'id') as CognitoIdTokenClaims
    if (nonce !== undefined && claims.nonce !== nonce) throw new InvalidTokenError('nonce mismatch')
    return claims
  }

  /** {@link verifyAccessToken}'s claims when the token was verified before and is still good; else `undefined`. */
  cachedAccessToken (token: string): CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims | undefined {
    return this.#cached(token, 'access') as CognitoAccessTokenClaims | undefined
  }

  /** {@link verifySessionAccessToken}'s claims when the token was verified before and is still good; else `undefined`. */
  cachedSessionAccessToken (token: string): CognitoAccessTokenClaims | undefined {
    const claims = this.cachedAccessToken(token)
    return claims !== undefined && this.#notASession(claims) === undefined ? claims as CognitoAccessTokenClaims : undefined
  }

  /** {@link verifyIdToken}'s claims (no nonce) when the token was verified before and is still good; else `undefined`. */
  cachedIdToken (token: string): CognitoIdTokenClaims | undefined {
    return this.#cached(token, 'id') as CognitoIdTokenClaims | undefined
  }

  /** Why a verified access token is not a browser session's (another app client's, or a machine's); `undefined` when it is one. */
  #notASession (claims: CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims): string | undefined {
    if (claims.client_id !== this.#config.clientId) return 'client_id is not this app client'
    return isMachineToken(claims) ? 'a machine token is not a user session' : undefined
  }

  /** A cache entry for this very token and use, while its key is in the JWKS. */
  #entry (token: string, use: TokenUse): CacheEntry | undefined {
    const entry = this.#cache.get(token)
    return entry !== undefined && entry.use === use && this.#jwks.hasKid(entry.kid) ? entry : undefined
  }

  #cached (token: string, use: TokenUse): JWTPayload | undefined {
    const entry = this.#entry(token, use)
    return entry !== undefined && entry.exp + this.#config.leeway > Math.floor(Date.now() / 1000) ? entry.claims : undefined
  }

  async #verify (token: string, use: TokenUse): Promise<JWTPayload> {
    const now = Math.floor(Date.now() / 1000)
    const cached = typeof token === 'string' ? this.#entry(token, use) : undefined
    if (cached !== undefined) {
      if (cached.exp + this.#config.leeway <= now) throw new TokenExpiredError()
      return cached.claims
    }
    try {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('malformed token')
      const { payload, protectedHeader } = await jwtVerify(token, this.#jwks.getKey, {
        algorithms: ['RS256'],
        issuer: this.#config.issuers as string[],
        clockTolerance: this.#config.leeway,
        requiredClaims: ['sub', 'exp', 'iat', 'token_use'],
        ...(use === 'id' ? { audience: this.#config.clientId } : {})
      })
      this.#checkCognitoClaims(payload, use, now)
      deepFreeze(payload)
      this.#cache.set(token, { claims: payload, exp: payload.exp as number, kid: protectedHeader.kid as string, use })
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
      // Cognito access tokens name their client in client_id (aud holds only a bound resource).
      if (!this.#config.accessClientIds.includes(payload.client_id as string)) throw new InvalidTokenError('client_id is not this app client')
      // A user's token names the user; a machine's (client credentials) has sub = client_id and no username.
      if (typeof payload.username !== 'string' && !isMachineToken(payload)) throw new InvalidTokenError('username is missing')
      const { audience } = this.#config
      if (audience.length > 0 && !audienceOf(payload).some(aud => audience.includes(aud))) throw new InvalidTokenError('aud is not this API')
    } else if (typeof payload['cognito:username'] !== 'string') {
      throw new InvalidTokenError('cognito:username is missing')
    }
  }
}
