// Shared steps of the test/local/*.test.ts files (the local Cognito stand-in): PKCE values, authorization URLs, token requests.
import { createHash, randomBytes } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { request } from 'undici'
import { LocalCognitoBrowser, type LocalCognito, type LocalCognitoOptions } from '../../lib/local/index.js'
import { startLocalCognito } from '../../lib/local/index.js'
import type { Teardown } from './teardown.js'

export const PASSWORD = 'Passw0rd!'
export const REDIRECT_URI = 'http://localhost:3000/postlogin'
export const LOGOUT_URI = 'http://localhost:3000/postlogout'

/** Starts a stand-in on 127.0.0.1, port 0, closed when the test ends. */
export async function start (t: Teardown, options: LocalCognitoOptions = {}): Promise<LocalCognito> {
  const local = await startLocalCognito({ host: '127.0.0.1', port: 0, ...options })
  t.teardown(() => local.close())
  return local
}

export interface Pkce { verifier: string, challenge: string }

export function pkce (): Pkce {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export interface AuthorizeParams {
  clientId?: string
  redirectUri?: string
  scope?: string | null
  state?: string
  nonce?: string | null
  challenge?: string | null
  method?: string | null
  extra?: Record<string, string>
}

/** An `/oauth2/authorize` URL; a `null` leaves the parameter out. */
export function authorizeUrl (local: LocalCognito, p: AuthorizeParams = {}): URL {
  const url = new URL('/oauth2/authorize', local.url)
  const params: Record<string, string | null | undefined> = {
    response_type: 'code',
    client_id: p.clientId ?? local.clients.confidential.clientId,
    redirect_uri: p.redirectUri ?? REDIRECT_URI,
    state: p.state ?? 'state-123',
    nonce: p.nonce === undefined ? 'nonce-456' : p.nonce,
    scope: p.scope === undefined ? 'openid email profile' : p.scope,
    code_challenge: p.challenge,
    code_challenge_method: p.method === undefined ? 'S256' : p.method,
    ...p.extra
  }
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) url.searchParams.set(name, value)
  }
  return url
}

export interface TokenAnswer { status: number, body: Record<string, unknown> }

export interface ClientAuth { clientId: string, clientSecret?: string }

function authHeaders (client: ClientAuth, form: Record<string, string>): Record<string, string> {
  if (client.clientSecret === undefined) {
    form.client_id = client.clientId
    return {}
  }
  return { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` }
}

/** A form POST to the stand-in, with Basic auth for a client with a secret, else `client_id` in the body. */
export async function postForm (local: LocalCognito, path: string, client: ClientAuth, fields: Record<string, string>): Promise<TokenAnswer> {
  const form = { ...fields }
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...authHeaders(client, form) }
  const res = await request(new URL(path, local.url), { method: 'POST', headers, body: new URLSearchParams(form).toString() })
  const text = await res.body.text()
  return { status: res.statusCode, body: text === '' ? {} : JSON.parse(text) }
}

export async function token (local: LocalCognito, client: ClientAuth, fields: Record<string, string>): Promise<TokenAnswer> {
  return await postForm(local, '/oauth2/token', client, fields)
}

export interface SignedIn {
  browser: LocalCognitoBrowser
  pkce: Pkce
  code: string
  callback: URL
}

/** Signs in through the login form and returns the authorization code sent to the callback. */
export async function signIn (local: LocalCognito, options: AuthorizeParams & { username?: string, browser?: LocalCognitoBrowser } = {}): Promise<SignedIn> {
  const browser = options.browser ?? new LocalCognitoBrowser(local.url)
  const verifier = pkce()
  const callback = await browser.signIn(authorizeUrl(local, { challenge: verifier.challenge, ...options }), {
    username: options.username ?? 'alice',
    password: PASSWORD
  })
  return { browser, pkce: verifier, code: callback.searchParams.get('code') ?? '', callback }
}

export interface Tokens {
  access_token: string
  id_token: string
  refresh_token: string
  token_type: string
  expires_in: number
}

/** The whole flow: sign-in, then the code exchanged at the token endpoint. */
export async function signInForTokens (
  local: LocalCognito,
  options: AuthorizeParams & { username?: string, client?: ClientAuth, browser?: LocalCognitoBrowser } = {}
): Promise<Tokens & { signedIn: SignedIn }> {
  const client = options.client ?? local.clients.confidential
  const signedIn = await signIn(local, { ...options, clientId: client.clientId })
  const answer = await token(local, client, {
    grant_type: 'authorization_code',
    code: signedIn.code,
    redirect_uri: options.redirectUri ?? REDIRECT_URI,
    code_verifier: signedIn.pkce.verifier
  })
  if (answer.status !== 200) throw new Error(`token endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  return { ...(answer.body as unknown as Tokens), signedIn }
}

export function claims (jwt: string): Record<string, unknown> {
  return decodeJwt(jwt)
}

export function kid (jwt: string): string | undefined {
  return decodeProtectedHeader(jwt).kid
}
