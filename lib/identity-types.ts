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

/** What every caller's identity holds, whatever identified it. */
interface CognitoIdentityBase {
  /** The user (for a machine: its client id, as Cognito sets `sub`). */
  sub: string
  /** The user name (for a machine: its client id, so that logs and checks written for users still name the caller). */
  username: string
  /** The app client the caller's token was issued to (`client_id`; an ALB's `client` header). */
  clientId: string
  /** `cognito:groups` of the access token; empty when there are none (always, for a machine). */
  groups: readonly string[]
  /** The access token's scopes. */
  scopes: readonly string[]
  /** When the user signed in (`auth_time`, seconds since the epoch; refreshes keep it); for a machine, when its token was issued. */
  authTime: number | undefined
}

/** A signed-in user, identified by an access token from a session cookie or a bearer header. */
export interface CognitoUserIdentity extends CognitoIdentityBase {
  kind: 'user'
  /** Where the token came from. */
  source: 'cookie' | 'bearer'
  /** The verified access token's claims. */
  accessToken: CognitoAccessTokenClaims
  /** The verified ID token's claims (the user's attributes); `null` for bearer requests or when not loaded. */
  idToken: CognitoIdTokenClaims | null
}

/**
 * A user an Application Load Balancer signed in (`alb` option): identified by the ALB's signed
 * `x-amzn-oidc-data` header. `username` is the data token's, else the access token's, else `sub`;
 * groups and scopes come from `x-amzn-oidc-accesstoken` when it verifies.
 */
export interface CognitoAlbIdentity extends CognitoIdentityBase {
  kind: 'user'
  source: 'alb'
  /** The verified `x-amzn-oidc-accesstoken` claims; `null` when the header is absent or does not verify. */
  accessToken: CognitoAccessTokenClaims | null
  /** The verified claims of `x-amzn-oidc-data` (sub, username, email...). */
  albData: AlbDataClaims
  idToken: null
}

/** A machine (client credentials grant): `sub` and `username` are its client id, `groups` is empty. */
export interface CognitoMachineIdentity extends CognitoIdentityBase {
  kind: 'machine'
  source: 'bearer'
  accessToken: CognitoMachineAccessTokenClaims
  idToken: null
}

/** What a guard puts on `request.cognito`: narrow on `kind` (`'user'` or `'machine'`) and `source`. */
export type CognitoIdentity = CognitoUserIdentity | CognitoAlbIdentity | CognitoMachineIdentity
