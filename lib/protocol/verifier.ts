/**
 * Cognito's JWT rules (RS256 only; `iss` from configuration; access tokens need `token_use: access`
 * and our `client_id`, ID tokens `token_use: id` and our `aud`; `exp`, `nbf` and `iat` with the
 * leeway), and a bounded cache of tokens already verified.
 *
 * The signature and the standard claims are aws-jwt-verify's: AWS's verifier for Cognito, which
 * checks RS256 synchronously with node:crypto, against the keys this plugin's {@link JwksCache}
 * fetched. (jose verifies through WebCrypto, an asynchronous job on libuv's thread pool per token,
 * which measured at about twice the cost for a token never seen.) Cognito's own claims are checked here.
 *
 * Tokens of the app's own sessions (from its grants and cookies) are cached when first verified. A
 * bearer token is cached when verified a second time: clients that come back are answered from the
 * cache from their third request on, while a stream of tokens sent once (a scan, or more clients than
 * the cache holds) neither evicts them nor fills the heap with entries that die old, which cost more in
 * garbage collection than the verification itself. What was seen once is a 32-bit hash of the token's
 * tail in a fixed table: no allocation.
 *
 * A cached verification holds only while its signing key is still in the pool's key set: when the
 * JWKS drops a key, tokens it signed stop verifying at once, not when they expire. Cached claims are
 * frozen: they are shared by every request that presents the same token.
 *
 * The warm path is synchronous: `cached*` answer the claims of a token verified before and still good
 * by the same rules, or `undefined` when the token must go through the full (async) verification,
 * which then gives the coded error when there is one.
 */
import type { JWTPayload } from 'jose'
import { JwtVerifier } from 'aws-jwt-verify'
import { KidNotFoundInJwksError } from 'aws-jwt-verify/error'
import type { Jwks } from 'aws-jwt-verify/jwk'
import type { JwtHeader } from 'aws-jwt-verify/jwt-model'
import { InvalidTokenError, TokenExpiredError, toVerificationError } from '../errors.js'
import type { JwksCache, SigningKeySet } from './jwks-cache.js'
import { audienceOf, deepFreeze, isMachineToken } from './identity.js'
import { LongKeyLruMap } from '../util/lru.js'
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from '../types.js'
import type { CognitoMachineAccessTokenClaims } from '../identity-types.js'

export interface VerifierConfig {
  issuers: readonly string[]
  jwksUri: string
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
interface Signed { payload: JWTPayload, kid: string }

type TokenUse = 'access' | 'id'

/** aws-jwt-verify's verifier, configured for the pool's issuers and fed the cached keys. */
function createEngine (config: VerifierConfig, onHeader: (header: JwtHeader) => void): JwtVerifier<any, any, true> {
  // One configuration per accepted issuer: aws-jwt-verify refuses any other `iss` before it touches a
  // key (its key-object cache is indexed by issuer, so an open issuer would let tokens grow it).
  return JwtVerifier.create(config.issuers.map(issuer => ({
    issuer,
    jwksUri: config.jwksUri,
    audience: null, // access tokens name their client in client_id; aud (ID tokens, bound resources) is checked below
    graceSeconds: config.leeway,
    customJwtCheck: ({ header }: { header: JwtHeader }) => onHeader(header)
  })))
}

export class Verifier {
  readonly #config: VerifierConfig
  readonly #jwks: JwksCache
  readonly #cache: LongKeyLruMap<CacheEntry>
  readonly #engine: JwtVerifier<any, any, true>
  /** Hashes of bearer tokens verified once, one per slot: a table as large as the cache (a power of two). */
  readonly #seen: Int32Array
  /** The key set the engine holds. */
  #fed: SigningKeySet | undefined
  /** The `kid` of the token the engine verified last, set by its custom check: read at once by {@link #verifyNow}. */
  #kid = ''

  constructor (config: VerifierConfig, jwks: JwksCache) {
    this.#config = config
    this.#jwks = jwks
    this.#cache = new LongKeyLruMap(config.tokenCacheSize)
    this.#seen = new Int32Array(2 ** Math.ceil(Math.log2(Math.max(16, config.tokenCacheSize))))
    this.#engine = createEngine(config, header => {
      // RFC 7515 §4.1.11: a critical extension not understood means the token is refused. Cognito uses none.
      if (header.crit !== undefined) throw new InvalidTokenError('crit header is not supported')
      this.#kid = header.kid as string
    })
  }

  /** How many verified tokens are cached (bounded by `tokenCacheSize`). */
  get cacheSize (): number {
    return this.#cache.size
  }

  /** A user's or a machine's access token of an accepted client (a bearer token: cached once seen twice). */
  async verifyAccessToken (token: string): Promise<CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims> {
    return await this.#verify(token, 'access', false) as CognitoAccessTokenClaims
  }

  /** A user's access token of this app's own client: what a browser session and the grants hold (cached at once). */
  async verifySessionAccessToken (token: string): Promise<CognitoAccessTokenClaims> {
    const claims = await this.#verify(token, 'access', true) as CognitoAccessTokenClaims
    const refusal = this.#notASession(claims)
    if (refusal !== undefined) throw new InvalidTokenError(refusal)
    return claims
  }

  async verifyIdToken (token: string, nonce?: string): Promise<CognitoIdTokenClaims> {
    const claims = await this.#verify(token, 'id', true) as CognitoIdTokenClaims
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

  /** The cache's expiry rule: a token is good until `exp` plus the leeway, to the second. */
  #live (entry: CacheEntry, now: number): boolean {
    return entry.exp + this.#config.leeway > now
  }

  #cached (token: string, use: TokenUse): JWTPayload | undefined {
    const entry = this.#entry(token, use)
    return entry !== undefined && this.#live(entry, Math.floor(Date.now() / 1000)) ? entry.claims : undefined
  }

  async #verify (token: string, use: TokenUse, cacheAtOnce: boolean): Promise<JWTPayload> {
    const now = Math.floor(Date.now() / 1000)
    const cached = typeof token === 'string' ? this.#entry(token, use) : undefined
    if (cached !== undefined) {
      if (!this.#live(cached, now)) throw new TokenExpiredError()
      return cached.claims
    }
    try {
      // Compact JWS is unpadded base64url (RFC 7515 §2); aws-jwt-verify also takes `=` padding, which
      // would let one token verify under several spellings.
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || token.includes('=')) throw new InvalidTokenError('malformed token')
      const { payload, kid } = await this.#signed(token)
      this.#checkCognitoClaims(payload, use, now)
      deepFreeze(payload)
      if (cacheAtOnce || this.#seenBefore(token)) this.#cache.set(token, { claims: payload, exp: payload.exp as number, kid, use })
      return payload
    } catch (err) {
      throw toVerificationError(err)
    }
  }

  /** A token whose signature, `iss`, `exp` and `nbf` aws-jwt-verify has checked with the pool's keys, and the `kid` that signed it. */
  async #signed (token: string): Promise<Signed> {
    this.#feed(this.#jwks.keysNow() ?? await this.#jwks.keys())
    try {
      return this.#verifyNow(token)
    } catch (err) {
      // An unknown kid may be a key Cognito has just rotated in: verify again after one refetch (rate-limited by the cache).
      if (!(err instanceof KidNotFoundInJwksError) || !await this.#jwks.refetchForUnknownKid()) throw err
      this.#feed(this.#jwks.keysNow() as SigningKeySet)
      return this.#verifyNow(token)
    }
  }

  /** aws-jwt-verify's check, and the kid it recorded, read before any other verification can run. */
  #verifyNow (token: string): Signed {
    const payload = this.#engine.verifySync(token)
    return { payload, kid: this.#kid }
  }

  /** Whether this token was verified before (worth caching now); else remembers it, in place of what its slot held. */
  #seenBefore (token: string): boolean {
    // FNV-1a over the signature's last 16 characters: random bytes, so the hash spreads without hashing the whole token.
    let hash = 0x811c9dc5
    for (let i = token.length - 16; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193)
    const slot = hash & (this.#seen.length - 1)
    if (this.#seen[slot] === hash) return true
    this.#seen[slot] = hash
    return false
  }

  #feed (keys: SigningKeySet): void {
    if (keys === this.#fed) return
    for (const issuer of this.#config.issuers) this.#engine.cacheJwks(keys as unknown as Jwks, issuer)
    this.#fed = keys
  }

  #checkCognitoClaims (payload: JWTPayload, use: TokenUse, now: number): void {
    const { leeway } = this.#config
    // aws-jwt-verify checks exp, nbf and iat only when present (exp: expired once the clock passes
    // exp + leeway; the cache's rule is stricter by under a second, expired once the second is reached).
    if (typeof payload.exp !== 'number') throw new InvalidTokenError('exp is missing')
    if (typeof payload.iat !== 'number') throw new InvalidTokenError('iat is missing')
    if (payload.iat > now + leeway) throw new InvalidTokenError('iat is in the future')
    if (payload.token_use !== use) throw new InvalidTokenError(`token_use is not "${use}"`)
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('sub is missing')
    if (use === 'access') {
      // Cognito access tokens name their client in client_id (aud holds only a bound resource).
      if (!this.#config.accessClientIds.includes(payload.client_id as string)) throw new InvalidTokenError('client_id is not this app client')
      // A user's token names the user; a machine's (client credentials) has sub = client_id and no username.
      if (typeof payload.username !== 'string' && !isMachineToken(payload)) throw new InvalidTokenError('username is missing')
      const { audience } = this.#config
      if (audience.length > 0 && !audienceOf(payload).some(aud => audience.includes(aud))) throw new InvalidTokenError('aud is not this API')
    } else {
      if (!audienceOf(payload).includes(this.#config.clientId)) throw new InvalidTokenError('aud is not this app client')
      if (typeof payload['cognito:username'] !== 'string') throw new InvalidTokenError('cognito:username is missing')
    }
  }
}
