/**
 * Public types of who a guard identified: a user (session cookie, bearer token or an ALB's signed
 * header) or a machine (client credentials token). `CognitoIdentity` is their union; narrow on `kind`
 * and `source`.
 */
import type { CognitoAccessTokenClaims, CognitoCommonClaims, CognitoIdTokenClaims } from './types.js'

/** Claims of a machine's access token (client credentials grant): `sub` is the client id, no `username`, no groups. */
export interface CognitoMachineAccessTokenClaims extends CognitoCommonClaims {
  token_use: 'access'
  client_id: string
  scope?: string
  username?: never
  'cognito:groups'?: never
  version?: number
}

/** Claims of the `x-amzn-oidc-data` token an Application Load Balancer signs: the user's attributes from userInfo. */
export interface AlbDataClaims {
  sub: string
  exp?: number
  iss?: string
  username?: string
  email?: string
  [claim: string]: unknown
}

/** A signed-in user, identified by an access token from a session cookie or a bearer header. */
export interface CognitoUserIdentity {
  kind: 'user'
  /** Where the token came from. */
  source: 'cookie' | 'bearer'
  sub: string
  username: string
  /** The app client the user signed in with (the access token's `client_id`). */
  clientId: string
  /** `cognito:groups` of the access token; empty when the user has none. */
  groups: readonly string[]
  /** The access token's scopes. */
  scopes: readonly string[]
  /** When the user signed in (`auth_time`, seconds since the epoch); refreshes keep it. */
  authTime: number | undefined
  /** The verified access token's claims. */
  accessToken: CognitoAccessTokenClaims
  /** The verified ID token's claims (the user's attributes); `null` for bearer requests or when not loaded. */
  idToken: CognitoIdTokenClaims | null
}

/** A user an Application Load Balancer signed in (`alb` option): identified by the ALB's signed `x-amzn-oidc-data` header. */
export interface CognitoAlbIdentity {
  kind: 'user'
  source: 'alb'
  sub: string
  /** The data token's `username` (Cognito's user name), else the access token's, else `sub`. */
  username: string
  /** The app client the ALB signs in with (the data token's `client` header). */
  clientId: string
  /** From `x-amzn-oidc-accesstoken` when it verifies; empty otherwise. */
  groups: readonly string[]
  scopes: readonly string[]
  /** When the user signed in (`auth_time`, seconds since the epoch); refreshes keep it. */
  authTime: number | undefined
  /** The verified `x-amzn-oidc-accesstoken` claims; `null` when the header is absent or does not verify. */
  accessToken: CognitoAccessTokenClaims | null
  /** The verified claims of `x-amzn-oidc-data` (sub, username, email...). */
  albData: AlbDataClaims
  idToken: null
}

/** A machine (client credentials grant): `username` is its client id, `groups` is empty. */
export interface CognitoMachineIdentity {
  kind: 'machine'
  source: 'bearer'
  /** The client id (Cognito sets `sub` to it). */
  sub: string
  /** The client id, so that logs and checks written for users still name the caller. */
  username: string
  clientId: string
  groups: readonly string[]
  scopes: readonly string[]
  /** When the token was issued to the machine (`auth_time`, seconds since the epoch). */
  authTime: number | undefined
  accessToken: CognitoMachineAccessTokenClaims
  idToken: null
}

/** What a guard puts on `request.cognito`: narrow on `kind` (`'user'` or `'machine'`) and `source`. */
export type CognitoIdentity = CognitoUserIdentity | CognitoAlbIdentity | CognitoMachineIdentity
