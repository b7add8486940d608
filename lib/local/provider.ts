import { randomBytes } from 'node:crypto'
import Provider, { type KoaContext, type UnknownObject } from 'oidc-provider'
import { AccountDirectory } from './accounts.js'
import { accessTokenExtraClaims, installCognitoTokenFormats } from './cognito-tokens.js'
import { COGNITO_SCOPES, hostedUi, LOGIN_PATH } from './hosted-ui.js'
import type { PoolKeys } from './keys.js'
import { installClientCredentials } from './machine.js'
import type { ResolvedClient, ResolvedOptions } from './options.js'
import { errorPage } from './pages.js'
import type { LocalStore } from './store.js'
import type { LocalCognitoStats } from './types.js'

/** What {@link createProvider} needs. */
export interface ProviderSetup {
  issuer: string
  options: ResolvedOptions
  keys: PoolKeys
  store: LocalStore
  stats: LocalCognitoStats
}

/** Cognito's hosted-UI cookie lasts about an hour. */
const SIGN_IN_SESSION_TTL = 60 * 60
/** Length of a Cognito refresh token. */
const REFRESH_TOKEN_LENGTH = 1850
/** Cognito's authorization codes live five minutes. */
const AUTHORIZATION_CODE_TTL = 5 * 60

function clientMetadata (client: ResolvedClient): UnknownObject {
  const machine = client.allowedOAuthFlows.includes('client_credentials')
  return {
    client_id: client.clientId,
    ...(client.clientSecret === undefined
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: client.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: client.redirectUris,
    grant_types: machine ? ['client_credentials'] : ['authorization_code', 'refresh_token'],
    response_types: machine ? [] : ['code']
  }
}

/**
 * An oidc-provider configured as a Cognito user pool: its endpoints at Cognito's paths on the domain,
 * Cognito's scopes and claims, PKCE with S256 required, Cognito's token lifetimes and refresh-token
 * rules, and the hosted-UI middleware. Every setting used here is oidc-provider configuration,
 * except the token-format overrides explained in cognito-tokens.ts.
 */
export function createProvider ({ issuer, options, keys, store, stats }: ProviderSetup): Provider {
  const directory = new AccountDirectory(options.userPoolId, options.users)
  const clients = new Map(options.clients.map((client) => [client.clientId, client]))

  const provider = new Provider(issuer, {
    adapter: (model: string) => store.adapterFor(model),
    clients: options.clients.map(clientMetadata),
    // The ID-token key comes first: oidc-provider signs ID tokens with the first RS256 key.
    jwks: { keys: [keys.idToken.privateJwk, keys.accessToken.privateJwk] },
    scopes: COGNITO_SCOPES,
    // Every user attribute under `openid`: Cognito's ID token carries all the attributes the app
    // client may read, whichever scopes were asked for.
    claims: {
      auth_time: null,
      openid: directory.claimNames,
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      profile: ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
        'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at', 'address'],
      'aws.cognito.signin.user.admin': []
    },
    responseTypes: ['code'],
    formats: {
      // Cognito's refresh token is a JWE of about 1,850 characters, opaque to the app; ours is an
      // opaque random string of that length (6 bits a character), so that cookie budgets match.
      // Other ids get 216 bits: 36 characters, the length of the UUIDs Cognito uses as jti.
      bitsOfOpaqueRandomness: (_ctx: KoaContext, token: { kind: string }) => token.kind === 'RefreshToken' ? REFRESH_TOKEN_LENGTH * 6 : 216
    },
    pkce: { required: () => true },
    // Cognito requires redirect_uri even for a client with a single callback URL.
    allowOmittingSingleRegisteredRedirectUri: false,
    routes: {
      authorization: '/oauth2/authorize',
      token: '/oauth2/token',
      revocation: '/oauth2/revoke',
      userinfo: '/oauth2/userInfo',
      jwks: `/${options.userPoolId}/.well-known/jwks.json`
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        // A client revokes its own tokens only; another client's token is left alone (still 200).
        allowedPolicy: (_ctx: KoaContext, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId
      }
    },
    cookies: {
      names: { session: 'cognito', interaction: '_interaction', resume: '_interaction_resume' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
      keys: [randomBytes(32).toString('base64url')]
    },
    interactions: { url: (_ctx: KoaContext, interaction: { uid: string }) => `${LOGIN_PATH}${interaction.uid}` },
    findAccount: (_ctx: KoaContext, sub: string) => {
      // Every account id comes from this directory (the login form), so the lookup cannot miss.
      const account = directory.findBySub(sub)!
      return {
        accountId: sub,
        claims: (use: string) => ({
          sub,
          ...(use === 'id_token' ? AccountDirectory.idTokenClaims(account) : AccountDirectory.userInfoClaims(account))
        })
      }
    },
    extraTokenClaims: accessTokenExtraClaims(directory),
    // Consent is not a Cognito concept: each authorization gets a grant of the scopes it asked for.
    // A new grant per sign-in also gives each sign-in its own refresh-token family, so revoking one
    // leaves the others working, as in Cognito.
    loadExistingGrant: async (ctx: KoaContext) => {
      const oidc = ctx.oidc!
      const grant = new provider.Grant({ accountId: oidc.session!.accountId!, clientId: oidc.client!.clientId })
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '))
      await grant.save()
      return grant
    },
    // Cognito issues a refresh token with every authorization code exchange.
    issueRefreshToken: () => true,
    rotateRefreshToken: (ctx: KoaContext) => clients.get(ctx.oidc!.client!.clientId)!.refreshTokenRotation === true,
    // Tokens outlive the hosted UI's sign-in session: /logout ends the session, not the tokens.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: options.accessTokenTtl,
      ClientCredentials: options.accessTokenTtl,
      IdToken: options.accessTokenTtl,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      // A rotated refresh token keeps the expiry of the one it replaces: sessions do not slide.
      RefreshToken: (ctx: KoaContext) => ctx.oidc!.entities.RotatedRefreshToken?.remainingTTL ?? options.refreshTokenTtl,
      Grant: options.refreshTokenTtl,
      Session: SIGN_IN_SESSION_TTL,
      Interaction: SIGN_IN_SESSION_TTL
    },
    // Browser apps (a public client) call the token, revocation and userInfo endpoints cross-origin.
    clientBasedCORS: () => true,
    renderError: (ctx: KoaContext, out: { error: string, error_description?: string }) => {
      ctx.type = 'html'
      ctx.body = errorPage(out.error, out.error_description)
    }
  })

  installCognitoTokenFormats(provider, keys.accessToken)
  installClientCredentials(provider, keys.accessToken, clients)
  provider.use(hostedUi({ provider, directory, clients, stats, userPoolId: options.userPoolId, users: options.users }))
  return provider
}
