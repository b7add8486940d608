/**
 * The two grants a browser session makes (RFC 6749 §4.1 with PKCE, and §6), each in one place: call
 * the token endpoint, map a refusal to our coded error, and verify the token set Cognito returned
 * (the ID token's nonce included) before anyone stores it. Refresh grants go through the
 * {@link Refresher}, which shares one grant among racing requests.
 */
import {
  IdpError, InvalidTokenError, NonceMismatchError, RefreshRejectedError, toGrantError, toIssuedTokenError
} from '../errors.js'
import { Refresher } from './refresher.js'
import type { TokenClient, TokenSet } from './token-client.js'
import type { Verifier } from './verifier.js'
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from '../types.js'

/** The slice of configuration the grants use. */
export interface GrantsConfig {
  redirectUri: string
  /** Where a user starts again after a refused code, for the error message. */
  loginPath: string
}

/** A token set Cognito issued, verified. */
export interface VerifiedTokens {
  accessToken: string
  idToken: string | undefined
  /** Present when Cognito issued one: at login, and at each refresh with rotation. */
  refreshToken: string | undefined
  /** Seconds the access token lives, when Cognito said. */
  expiresIn: number | undefined
  access: CognitoAccessTokenClaims
  id: CognitoIdTokenClaims | null
}

export class Grants {
  readonly #config: GrantsConfig
  readonly #client: TokenClient
  readonly #verifier: Verifier
  readonly #refresher: Refresher<VerifiedTokens>

  constructor (config: GrantsConfig, client: TokenClient, verifier: Verifier) {
    this.#config = config
    this.#client = client
    this.#verifier = verifier
    this.#refresher = new Refresher(token => this.#refreshGrant(token), (_token, err) => err instanceof RefreshRejectedError)
  }

  /**
   * `grant_type=authorization_code` with the PKCE verifier and the same redirect_uri; the ID token is
   * required (the `openid` scope) and must carry the login's nonce. Throws 400 (code refused, nonce),
   * 502 (Cognito failed or issued tokens that do not verify) or 503 (no keys).
   */
  async authorizationCode (code: string, codeVerifier: string, nonce: string): Promise<VerifiedTokens> {
    let tokens: TokenSet
    try {
      tokens = await this.#client.grant({ grant_type: 'authorization_code', code, code_verifier: codeVerifier, redirect_uri: this.#config.redirectUri })
    } catch (err) {
      throw toGrantError(err, 'authorization_code', this.#config.loginPath)
    }
    if (tokens.id_token === undefined) throw new IdpError('no id_token in the answer (is the openid scope allowed for this app client?)')
    return this.#verify(tokens, nonce)
  }

  /**
   * `grant_type=refresh_token`, shared among racing requests. `explicit` is an app or user asking
   * for new tokens (`POST /refresh`): it never reuses an earlier answer for the current token.
   * Throws 401 (refused: expired, revoked, rotated away), 502 or 503.
   */
  refresh (refreshToken: string, options: { explicit?: boolean } = {}): Promise<VerifiedTokens> {
    return this.#refresher.refresh(refreshToken, options)
  }

  /** Revokes the refresh token at Cognito, after making sure no grant here uses it (or an older one of its chain) again. */
  async revoke (refreshToken: string): Promise<void> {
    this.#refresher.revoke(refreshToken, new RefreshRejectedError('revoked at logout'))
    await this.#client.revoke(refreshToken)
  }

  async #refreshGrant (refreshToken: string): Promise<VerifiedTokens> {
    let tokens: TokenSet
    try {
      tokens = await this.#client.grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
    } catch (err) {
      throw toGrantError(err, 'refresh_token', this.#config.loginPath)
    }
    return this.#verify(tokens, undefined)
  }

  /** Verifies what Cognito just issued: one token that does not verify is Cognito's failure (502), or 503 without keys. */
  async #verify (tokens: TokenSet, nonce: string | undefined): Promise<VerifiedTokens> {
    try {
      const access = await this.#verifier.verifySessionAccessToken(tokens.access_token)
      const id = tokens.id_token === undefined ? null : await this.#verifier.verifyIdToken(tokens.id_token)
      if (id !== null && id.sub !== access.sub) throw new InvalidTokenError('the ID and access tokens are for different users')
      if (nonce !== undefined && id?.nonce !== nonce) throw new NonceMismatchError()
      return {
        accessToken: tokens.access_token,
        idToken: tokens.id_token,
        refreshToken: tokens.refresh_token,
        expiresIn: typeof tokens.expires_in === 'number' ? tokens.expires_in : undefined,
        access,
        id
      }
    } catch (err) {
      throw toIssuedTokenError(err)
    }
  }
}
