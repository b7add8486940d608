import { randomUUID } from 'node:crypto'
import { compactVerify, SignJWT, type JWTPayload } from 'jose'
import type { AccessToken, KoaContext, Provider, UnknownObject } from 'oidc-provider'
import { AccountDirectory, uuidFrom } from './accounts.js'
import type { SigningKey } from './keys.js'

/**
 * Claims that tie every token of one sign-in together, as Cognito's do. Each authorization gets its
 * own oidc-provider grant (see `loadExistingGrant` in provider.ts), which refreshes and rotations
 * keep, so both values are derived from the grant id.
 */
function signInEventClaims (grantId: string): { origin_jti: string, event_id: string } {
  return { origin_jti: uuidFrom('origin_jti', grantId), event_id: uuidFrom('event_id', grantId) }
}

/**
 * oidc-provider's `extraTokenClaims` helper: the Cognito claims of an access token that depend on
 * the user and the sign-in. oidc-provider stores them with the token (`payload.extra`), where
 * {@link installCognitoTokenFormats} reads them back.
 */
export function accessTokenExtraClaims (directory: AccountDirectory) {
  return async (ctx: KoaContext, token: AccessToken): Promise<UnknownObject> => {
    // A machine client's token (client credentials) belongs to no user: see machine.ts.
    if (token.kind === 'ClientCredentials') return {}
    const { entities } = ctx.oidc!
    // The token endpoint is the only place access tokens are issued here (no implicit flow), and
    // it has either the authorization code or the refresh token it redeems.
    const source = entities.AuthorizationCode ?? entities.RefreshToken
    return {
      ...AccountDirectory.accessTokenClaims(directory.findBySub(token.accountId!)!),
      ...signInEventClaims(token.grantId!),
      auth_time: source!.authTime
    }
  }
}

/**
 * Makes oidc-provider's tokens look like Cognito's. Access tokens are the part oidc-provider cannot
 * be configured into: its JWT access tokens must carry an `aud` (Cognito's carry none, only
 * `client_id`), are never stored, and so are refused at the userinfo endpoint, while Cognito's
 * `/oauth2/userInfo` accepts its JWT access tokens. So the access tokens stay oidc-provider's
 * stored ("opaque") kind, and two model methods are overridden, the smallest change that works:
 *
 * - `AccessToken#getValueAndPayload` still stores the token under its id, but hands out a
 *   Cognito-shaped JWT that carries that id as `jti`, signed with the access-token key;
 * - `AccessToken.find` accepts that JWT (signature checked) and looks the token up by its `jti`.
 *
 * ID tokens are oidc-provider's own, signed with the first key of the JWKS (the ID-token key). Its
 * only hook for their content is the account's claims (user attributes, see provider.ts), so a
 * third override, of `IdToken#issue`, adds the per-token claims Cognito puts in them (`token_use`,
 * `jti`, `origin_jti`, `event_id`, `at_hash`, `auth_time`) and drops `sid`.
 */
export function installCognitoTokenFormats (provider: Provider, accessKey: SigningKey): void {
  const { AccessToken, IdToken } = provider
  /** The JWT handed out for each access token model, for the ID token's `at_hash`. */
  const issued = new WeakMap<AccessToken, string>()

  const storedFormat = AccessToken.prototype.getValueAndPayload
  AccessToken.prototype.getValueAndPayload = async function (this: AccessToken) {
    const { value: jti, payload } = await storedFormat.call(this)
    const stored = payload!
    const extra = stored.extra as UnknownObject
    // Claim order as in Cognito's access tokens; JSON drops `cognito:groups` when it is undefined.
    const claims = {
      sub: stored.accountId,
      'cognito:groups': extra['cognito:groups'],
      iss: provider.issuer,
      version: 2,
      client_id: stored.clientId,
      origin_jti: extra.origin_jti,
      event_id: extra.event_id,
      token_use: 'access',
      scope: stored.scope,
      auth_time: extra.auth_time,
      exp: stored.exp,
      iat: stored.iat,
      jti,
      username: extra.username
    } as JWTPayload
    const value = await new SignJWT(claims)
      .setProtectedHeader({ kid: accessKey.kid, alg: 'RS256' })
      .sign(accessKey.privateKey)
    issued.set(this, value)
    return { value, payload }
  }

  const findStored = AccessToken.find
  AccessToken.find = async function (value: unknown, options?: UnknownObject) {
    let jti: unknown
    try {
      const { payload } = await compactVerify(value as string, accessKey.publicKey)
      jti = JSON.parse(new TextDecoder().decode(payload)).jti
    } catch {
      return undefined
    }
    return await findStored.call(AccessToken, jti, options)
  }

  const issue = IdToken.prototype.issue
  IdToken.prototype.issue = async function (this, options) {
    // Only ID tokens go through IdToken in this configuration (no JWT userinfo, introspection or
    // logout tokens), always at the token endpoint, right after the access token was made.
    const accessToken = this.ctx!.oidc!.entities.AccessToken!
    this.set('token_use', 'id')
    // Cognito's ID tokens always carry auth_time; oidc-provider's only when asked for, and asking
    // (require_auth_time) would make it refuse authorization requests without `openid`.
    this.set('auth_time', accessToken.extra!.auth_time)
    this.set('jti', randomUUID())
    this.set('origin_jti', accessToken.extra!.origin_jti)
    this.set('event_id', accessToken.extra!.event_id)
    // oidc-provider replaces at_hash with the left half of its SHA-256 digest when it signs.
    this.set('at_hash', issued.get(accessToken))
    // Cognito's ID tokens carry no `sid`.
    this.set('sid', undefined)
    return await issue.call(this, options)
  }
}
