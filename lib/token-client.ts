/**
 * Calls to Cognito's token and revoke endpoints (undici), each with a timeout and a bounded answer.
 * Confidential clients authenticate with HTTP Basic; public clients send `client_id` in the body.
 */
import { request } from 'undici'
import type { Dispatcher } from 'undici'
import { IdpError, OAuthError, safeErrorCode, toIdpError } from './errors.js'

/** Token endpoint answer (RFC 6749 §5.1). */
export interface TokenSet {
  access_token: string
  id_token?: string
  refresh_token?: string
  expires_in?: number
  token_type?: string
}

export interface TokenClientConfig {
  tokenUrl: string
  revokeUrl: string
  clientId: string
  clientSecret: string | undefined
  timeout: number
  dispatcher: Dispatcher | undefined
}

/** Cognito's tokens are a few kB; anything far larger is not a token answer. */
const MAX_BODY = 256 * 1024

async function readBody (body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_BODY) {
      body.destroy()
      throw new IdpError('answer too large')
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export class TokenClient {
  readonly #config: TokenClientConfig

  constructor (config: TokenClientConfig) {
    this.#config = config
  }

  async #post (url: string, form: Record<string, string>, endpoint: string): Promise<{ status: number, json: unknown }> {
    const { clientId, clientSecret, timeout, dispatcher } = this.#config
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
      const response = await request(url, {
        method: 'POST',
        headers,
        body: params.toString(),
        signal: AbortSignal.timeout(timeout),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(dispatcher ? { dispatcher } : {})
      })
      return { status: response.statusCode, json: parseJson(await readBody(response.body)) }
    } catch (err) {
      throw toIdpError(err, endpoint)
    }
  }

  /** Throws `OAuthError` for Cognito's `{ error }` answers, a 502 `IdpError` for anything else that is not a token set. */
  async #grant (form: Record<string, string>): Promise<TokenSet> {
    const { status, json } = await this.#post(this.#config.tokenUrl, form, 'token endpoint')
    const body = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>
    if ((status === 400 || status === 401) && typeof body.error === 'string') {
      throw new OAuthError(safeErrorCode(body.error), typeof body.error_description === 'string' ? body.error_description.slice(0, 200) : undefined)
    }
    if (status !== 200) throw new IdpError(`token endpoint answered HTTP ${status}`)
    if (json === undefined) throw new IdpError('token endpoint answered something that is not JSON')
    for (const name of ['access_token', 'id_token', 'refresh_token'] as const) {
      if (body[name] !== undefined && typeof body[name] !== 'string') throw new IdpError(`token endpoint answered a non-string ${name}`)
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new IdpError('token endpoint answered without an access_token')
    return body as unknown as TokenSet
  }

  /** `grant_type=authorization_code` with the PKCE verifier and the same redirect_uri. */
  exchangeCode (code: string, codeVerifier: string, redirectUri: string): Promise<TokenSet> {
    return this.#grant({ grant_type: 'authorization_code', code, code_verifier: codeVerifier, redirect_uri: redirectUri })
  }

  /** `grant_type=refresh_token`. */
  refresh (refreshToken: string): Promise<TokenSet> {
    return this.#grant({ grant_type: 'refresh_token', refresh_token: refreshToken })
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
