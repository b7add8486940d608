/**
 * Who a verified token says the caller is: the identity a guard puts on `request.cognito`.
 *
 * Verified claims are cached and shared by every request that presents the same token, so they are
 * frozen, and so are the group and scope lists derived from them: a route that changes what it was
 * given cannot change what the next request is allowed. The identity object itself is new per request.
 */
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from '../types.js'
import type {
  AlbDataClaims, CognitoAlbIdentity, CognitoIdentity, CognitoMachineAccessTokenClaims, CognitoMachineIdentity, CognitoUserIdentity
} from '../identity-types.js'

/** Freezes a JSON value and everything in it. */
export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}

const EMPTY: readonly string[] = Object.freeze([])

/** `cognito:groups` when it is a list of strings; anything else counts as no groups. */
export function groupsOf (claims: { 'cognito:groups'?: unknown }): readonly string[] {
  const groups = claims['cognito:groups']
  return Array.isArray(groups) && groups.every(g => typeof g === 'string') ? groups : EMPTY
}

/** The access token's space-separated scopes. */
export function scopesOf (claims: { scope?: unknown }): readonly string[] {
  return typeof claims.scope === 'string' ? Object.freeze(claims.scope.split(' ').filter(Boolean)) : EMPTY
}

/** Scopes split once per verified token, not once per request. */
const scopeLists = new WeakMap<object, readonly string[]>()

function cachedScopes (access: { scope?: unknown } & object): readonly string[] {
  let scopes = scopeLists.get(access)
  if (scopes === undefined) {
    scopes = scopesOf(access)
    scopeLists.set(access, scopes)
  }
  return scopes
}

/**
 * A machine's token (Cognito's client credentials grant): `sub` is the client id and there is no
 * `username`. A user's access token always names the user.
 */
export function isMachineToken (claims: { sub?: unknown, client_id?: unknown, username?: unknown }): boolean {
  return claims.username === undefined && typeof claims.sub === 'string' && claims.sub === claims.client_id
}

/** The `aud` claim as a list (RFC 7519 §4.1.3: a string or a list of strings). */
export function audienceOf (claims: object): readonly string[] {
  const { aud } = claims as { aud?: unknown }
  if (typeof aud === 'string') return [aud]
  return Array.isArray(aud) ? aud.filter((v): v is string => typeof v === 'string') : EMPTY
}

/** Returns the object it is given, so that a subclass can add a private field to an object made elsewhere. */
class Stamp {
  constructor (target: object) {
    return target
  }
}

/**
 * The raw access token an identity was made from, for userInfo and outbound calls: a private field
 * added to the identity object, so never on the identity itself (which is logged and serialised: JSON,
 * spreads and `util.inspect` do not show private fields). Cheaper than a WeakMap entry per request.
 */
class RawToken extends Stamp {
  readonly #raw: string

  constructor (target: object, raw: string) {
    super(target)
    this.#raw = raw
  }

  static of (target: object): string | undefined {
    return #raw in target ? (target as RawToken).#raw : undefined
  }
}

/** The raw access token `identity` was made from, when there was one. */
export function rawAccessToken (identity: CognitoIdentity): string | undefined {
  return RawToken.of(identity)
}

type AnyAccessClaims = CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims

export function buildIdentity (source: 'cookie', access: CognitoAccessTokenClaims, id: CognitoIdTokenClaims | null, raw?: string): CognitoUserIdentity
export function buildIdentity (source: 'cookie' | 'bearer', access: AnyAccessClaims, id: CognitoIdTokenClaims | null, raw?: string): CognitoUserIdentity | CognitoMachineIdentity
export function buildIdentity (source: 'cookie' | 'bearer', access: AnyAccessClaims, id: CognitoIdTokenClaims | null, raw?: string): CognitoUserIdentity | CognitoMachineIdentity {
  const identity: CognitoUserIdentity | CognitoMachineIdentity = isMachineToken(access)
    ? {
        kind: 'machine',
        source: 'bearer',
        sub: access.sub,
        username: access.client_id,
        clientId: access.client_id,
        groups: EMPTY,
        scopes: cachedScopes(access),
        authTime: access.auth_time,
        accessToken: access as CognitoMachineAccessTokenClaims,
        idToken: null
      }
    : {
        kind: 'user',
        source,
        sub: access.sub,
        username: access.username as string,
        clientId: access.client_id,
        groups: groupsOf(access),
        scopes: cachedScopes(access),
        authTime: access.auth_time,
        accessToken: access as CognitoAccessTokenClaims,
        idToken: id
      }
  if (raw !== undefined) new RawToken(identity, raw) // eslint-disable-line no-new
  return identity
}

/** A user an ALB signed in: the data token's claims, and groups and scopes from its access token when that verified. */
export function buildAlbIdentity (clientId: string, data: AlbDataClaims, access: CognitoAccessTokenClaims | null, raw: string | undefined): CognitoAlbIdentity {
  const identity: CognitoAlbIdentity = {
    kind: 'user',
    source: 'alb',
    sub: data.sub,
    username: typeof data.username === 'string' ? data.username : access?.username ?? data.sub,
    clientId,
    groups: access === null ? EMPTY : groupsOf(access),
    scopes: access === null ? EMPTY : cachedScopes(access),
    authTime: access?.auth_time,
    accessToken: access,
    albData: data,
    idToken: null
  }
  if (raw !== undefined && access !== null) new RawToken(identity, raw) // eslint-disable-line no-new
  return identity
}
