/**
 * Calls to Cognito's token and revoke endpoints, through the one HTTP helper. Confidential clients
 * authenticate with HTTP Basic; public clients send `client_id` in the body.
 */
import { IdpError, safeErrorCode, tokenEndpointFailure, toIdpError } from '../errors.js'
import { callCognito, type HttpAnswer, type HttpConfig } from './http.js'

/** Token endpoint answer (RFC 6749 §5.1). */
export interface TokenSet {
  access_token: string
  id_token?: string
  refresh_token?: string
  expires_in?: number
  token_type?: string
}

export interface TokenClientConfig extends HttpConfig {
  tokenUrl: string
  revokeUrl: string
  clientId: string
  clientSecret: string | undefined
}

/** Cognito's tokens are a few kB; anything far larger is not a token answer. */
const MAX_BODY = 256 * 1024

export class TokenClient {
  readonly #config: TokenClientConfig

  constructor (config: TokenClientConfig) {
    this.#config = config
  }

  async #post (url: string, form: Record<string, string>, endpoint: string): Promise<HttpAnswer> {
    const { clientId, clientSecret } = this.#config
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json'
    }
    const params = new URLSearchParams(form)
    if (clientSecret === undefined) {
      params.set('client_id', clientId)
    } else {
      // RFC 6749 §2.3.1: both parts are form-urlencoded (application/x-www-form-urlencoded) before the Basic encoding.
      const formEncode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+')
      const basic = `${formEncode(clientId)}:${formEncode(clientSecret)}`
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`
    }
    try {
      return await callCognito(this.#config, { endpoint, url, method: 'POST', headers, body: params.toString(), maxBody: MAX_BODY })
    } catch (err) {
      throw toIdpError(err)
    }
  }

  /** Throws `OAuthError` for Cognito's `{ error }` answers, a 502 `IdpError` for anything else that is not a token set. */
  async grant (form: Record<string, string>): Promise<TokenSet> {
    const { status, json } = await this.#post(this.#config.tokenUrl, form, 'token endpoint')
    const failure = tokenEndpointFailure(status, json)
    if (failure !== undefined) throw failure
    const body = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>
    for (const name of ['access_token', 'id_token', 'refresh_token'] as const) {
      if (body[name] !== undefined && typeof body[name] !== 'string') throw new IdpError(`token endpoint answered a non-string ${name}`)
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new IdpError('token endpoint answered without an access_token')
    return body as unknown as TokenSet
  }

  /** Revokes a refresh token (Cognito answers 200 for unknown tokens too). */
  async revoke (refreshToken: string): Promise<void> {
    const { status, json } = await this.#post(this.#config.revokeUrl, { token: refreshToken }, 'revoke endpoint')
    if (status !== 200) {
      const error = safeErrorCode((json as { error?: unknown } | undefined)?.error)
      throw new IdpError(`revoke endpoint answered HTTP ${status} ${error}`)
    }
  }
}
