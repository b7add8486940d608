import { SignJWT, type JWTPayload } from 'jose'
import Provider, { errors } from 'oidc-provider'
import type { SigningKey } from './keys.js'
import type { ResolvedClient } from './options.js'

/**
 * Cognito's client-credentials grant (machine to machine), on oidc-provider's `clientCredentials`
 * feature: oidc-provider authenticates the client (HTTP Basic) and checks that it may use the grant
 * (`unauthorized_client` otherwise); this override of `ClientCredentials#getValueAndPayload` does
 * what is Cognito's own:
 *
 * - scopes: only the client's custom scopes (`<resource server>/<scope>`), `invalid_scope` for any
 *   other (`openid` included); no `scope` asked means all of them;
 * - the token: stored by its id like user access tokens (see cognito-tokens.ts), handed out as a
 *   JWT signed with the access-token key, with Cognito's M2M claims: `sub` is the client id, no
 *   `username`, no `cognito:groups`, no `aud`, `auth_time` is the issue time.
 */
export function installClientCredentials (provider: Provider, accessKey: SigningKey, clients: ReadonlyMap<string, ResolvedClient>): void {
  const { ClientCredentials } = provider
  const storedFormat = ClientCredentials.prototype.getValueAndPayload
  ClientCredentials.prototype.getValueAndPayload = async function (this) {
    // oidc-provider only lets client_credentials clients, all of them registered, use the grant.
    const allowed = clients.get(this.clientId!)!.scopes
    // oidc-provider keeps only the scopes of its `scopes` configuration (the standard ones) in the
    // token: the custom scopes asked for are read from the request body, whose syntax it checked.
    const requested = (Provider.ctx!.oidc!.body!.scope as string | undefined) ?? ''
    const asked = [...new Set(requested.split(' ').filter((scope) => scope !== ''))]
    const refused = asked.find((scope) => !allowed.includes(scope))
    if (refused !== undefined) throw new errors.InvalidScope('requested scope is not allowed', refused)
    this.scope = (asked.length === 0 ? allowed : asked).join(' ')

    const { value: jti, payload } = await storedFormat.call(this)
    const stored = payload!
    // Claim order as in Cognito's M2M access tokens.
    const claims = {
      sub: stored.clientId,
      token_use: 'access',
      scope: stored.scope,
      auth_time: stored.iat,
      iss: provider.issuer,
      exp: stored.exp,
      iat: stored.iat,
      version: 2,
      jti,
      client_id: stored.clientId
    } as JWTPayload
    const value = await new SignJWT(claims)
      .setProtectedHeader({ kid: accessKey.kid, alg: 'RS256' })
      .sign(accessKey.privateKey)
    return { value, payload }
  }
}
