/**
 * The user an Application Load Balancer signed in: its `x-amzn-oidc-data` header, a JWT the ALB signs
 * itself (AWS, "Authenticate users using an Application Load Balancer", section "User claims encoding
 * and signature verification").
 *
 * - ES256 (ECDSA P-256, SHA-256). The header carries `kid`, `signer` (the ALB's ARN), `iss`, `client`
 *   and `exp`; the payload the user's claims (`sub`, `username`, `email`, ...).
 * - The segments are base64url **with** `=` padding, unlike a standard JWT, and the signature covers
 *   the segments exactly as sent, padding included. So the token is read here: each segment decoded
 *   padding or not, and the signature checked over the received bytes. Stripping the padding first
 *   would break every real signature.
 * - The public key is a PEM at `<keysUrl>/<kid>`. Any ALB can sign such a header, so `signer` is
 *   checked against the ARNs configured before any key is fetched.
 * - Keys are cached by `kid`. A `kid` the key server does not know puts the cache in a penalty box
 *   for `cooldown` ms, during which no unknown `kid` is fetched: a flood of made-up `kid`s costs one
 *   fetch per cooldown, as with the pool's JWKS.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { InvalidTokenError, TokenExpiredError, toAlbKeyError } from '../errors.js'
import { callCognito, type HttpConfig } from './http.js'
import { LruMap } from '../util/lru.js'
import type { AlbDataClaims } from '../identity-types.js'

export interface AlbVerifierConfig extends HttpConfig {
  signers: readonly string[]
  keysUrl: string
  /** Accepted values of the header's `client`. */
  clientIds: readonly string[]
  /** Accepted values of the header's `iss` (the user pool's issuer). */
  issuers: readonly string[]
  leeway: number
  /** ms during which no unknown `kid` is fetched after one was not found. */
  cooldown: number
}

export interface AlbVerified {
  /** The header's `client`: the app client the ALB signs in with. */
  clientId: string
  claims: AlbDataClaims
}

/** base64url, optionally padded (AWS pads), three segments. */
const ALB_JWT = /^([A-Za-z0-9_-]+={0,2})\.([A-Za-z0-9_-]+={0,2})\.([A-Za-z0-9_-]+={0,2})$/
const KID = /^[A-Za-z0-9_-]{1,128}$/
const MAX_LENGTH = 16 * 1024
/** A PEM public key is a few hundred bytes. */
const MAX_KEY_BODY = 16 * 1024
const KEY_CACHE_SIZE = 100

function decodeJson (segment: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidTokenError('malformed ALB token')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidTokenError('malformed ALB token')
  return value as Record<string, unknown>
}

export class AlbVerifier {
  readonly #config: AlbVerifierConfig
  readonly #keys = new LruMap<string, KeyObject>(KEY_CACHE_SIZE)
  readonly #pending = new Map<string, Promise<KeyObject>>()
  #penaltyUntil = 0

  constructor (config: AlbVerifierConfig) {
    this.#config = config
  }

  /** Verifies an `x-amzn-oidc-data` value. Throws a coded 401 (invalid, expired, foreign) or 503 (keys unavailable). */
  async verify (data: string): Promise<AlbVerified> {
    const match = data.length <= MAX_LENGTH ? ALB_JWT.exec(data) : null
    if (match === null) throw new InvalidTokenError('malformed ALB token')
    const [, headerB64, payloadB64, signatureB64] = match as unknown as [string, string, string, string]
    const header = decodeJson(headerB64)
    const config = this.#config
    if (header.alg !== 'ES256') throw new InvalidTokenError('ALB token alg is not ES256')
    if (typeof header.signer !== 'string' || !config.signers.includes(header.signer)) throw new InvalidTokenError('ALB token signed by a load balancer not trusted')
    if (typeof header.kid !== 'string' || !KID.test(header.kid)) throw new InvalidTokenError('ALB token kid is missing')
    if (typeof header.client !== 'string' || !config.clientIds.includes(header.client)) throw new InvalidTokenError('ALB token client is not an accepted app client')
    if (typeof header.iss !== 'string' || !config.issuers.includes(header.iss)) throw new InvalidTokenError('ALB token iss is not this user pool')

    const key = await this.#key(header.kid)
    const signature = Buffer.from(signatureB64, 'base64url')
    // The ALB signs `<header>.<payload>` as sent, padding included.
    const valid = signature.length === 64 && verify('sha256', Buffer.from(`${headerB64}.${payloadB64}`), { key, dsaEncoding: 'ieee-p1363' }, signature)
    if (!valid) throw new InvalidTokenError('ALB token signature does not verify')

    const claims = decodeJson(payloadB64)
    const now = Math.floor(Date.now() / 1000)
    // `exp` is in the header (always) and in the payload (usually): both must hold.
    for (const exp of claims.exp === undefined ? [header.exp] : [header.exp, claims.exp]) {
      if (typeof exp !== 'number') throw new InvalidTokenError('ALB token exp is missing')
      if (exp + config.leeway <= now) throw new TokenExpiredError()
    }
    if (claims.iss !== undefined && !config.issuers.includes(claims.iss as string)) throw new InvalidTokenError('ALB token iss is not this user pool')
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('ALB token sub is missing')
    return { clientId: header.client, claims: Object.freeze(claims) as AlbDataClaims }
  }

  /** The public key of `kid`: cached, fetched once for concurrent callers, not fetched while in the penalty box. */
  #key (kid: string): Promise<KeyObject> {
    const cached = this.#keys.get(kid)
    if (cached !== undefined) return Promise.resolve(cached)
    let pending = this.#pending.get(kid)
    if (pending === undefined) {
      if (Date.now() < this.#penaltyUntil) return Promise.reject(new InvalidTokenError('ALB key not found'))
      pending = this.#fetch(kid).finally(() => this.#pending.delete(kid))
      this.#pending.set(kid, pending)
    }
    return pending
  }

  async #fetch (kid: string): Promise<KeyObject> {
    let answer
    try {
      answer = await callCognito(this.#config, {
        endpoint: 'ALB key endpoint',
        url: `${this.#config.keysUrl}/${kid}`,
        method: 'GET',
        headers: { accept: 'application/x-pem-file, text/plain' },
        maxBody: MAX_KEY_BODY
      })
    } catch (err) {
      this.#penaltyUntil = Date.now() + this.#config.cooldown
      throw toAlbKeyError(err)
    }
    let key: KeyObject | undefined
    if (answer.status === 200) {
      try {
        key = createPublicKey(answer.text)
      } catch {}
    }
    if (key === undefined || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      // Not found, or not a P-256 key: no unknown kid is fetched again before the cooldown ends.
      this.#penaltyUntil = Date.now() + this.#config.cooldown
      throw toAlbKeyError(undefined, answer.status)
    }
    this.#keys.set(kid, key)
    return key
  }
}
