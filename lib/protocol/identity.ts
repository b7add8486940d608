/**
 * Who a verified token says the caller is: the identity a guard puts on `request.cognito`.
 *
 * Verified claims are cached and shared by every request that presents the same token, so they are
 * frozen, and so are the group and scope lists derived from them: a route that changes what it was
 * given cannot change what the next request is allowed. The identity object itself is new per request.
 */
import type { CognitoAccessTokenClaims, CognitoIdentity, CognitoIdTokenClaims } from '../types.js'

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

function cachedScopes (access: CognitoAccessTokenClaims): readonly string[] {
  let scopes = scopeLists.get(access)
  if (scopes === undefined) {
    scopes = scopesOf(access)
    scopeLists.set(access, scopes)
  }
  return scopes
}

export function buildIdentity (source: CognitoIdentity['source'], access: CognitoAccessTokenClaims, id: CognitoIdTokenClaims | null): CognitoIdentity {
  return {
    source,
    sub: access.sub,
    username: access.username,
    groups: groupsOf(access),
    scopes: cachedScopes(access),
    authTime: access.auth_time,
    accessToken: access,
    idToken: id
  }
}
