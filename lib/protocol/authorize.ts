/**
 * The authorize request (RFC 6749 §4.1.1 with PKCE, RFC 7636; OIDC Core §3.1.2.1) as Cognito takes it:
 * `response_type=code`, S256 only, state and nonce always, and the optional parameters validated so
 * that a bad value is our coded 400 instead of Cognito's error page.
 */
import { InvalidLoginRequestError } from '../errors.js'
import { calculateCodeChallenge, randomToken } from './pkce.js'
import type { LoginOptions } from '../types.js'

/** The slice of configuration the authorize request uses. */
export interface AuthorizeConfig {
  authorizeUrl: string
  clientId: string
  redirectUri: string
  scopes: readonly string[]
  /** Resource binding: Cognito puts this URI in the access token's `aud`. */
  resource?: string | undefined
}

/** The secrets of one login attempt, kept by the browser (sealed) until the callback. */
export interface LoginSecrets {
  state: string
  nonce: string
  codeVerifier: string
}

const IDENTITY_PROVIDER = /^[\w .@:-]{1,128}$/
const LANG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])

/** Fresh state, nonce and PKCE verifier. */
export function newLoginSecrets (): LoginSecrets {
  return { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken() }
}

/** The authorize URL for one login attempt; throws a coded 400 for an option Cognito would refuse. */
export function buildAuthorizeUrl (config: AuthorizeConfig, secrets: LoginSecrets, options: LoginOptions = {}): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scopes.join(' '),
    state: secrets.state,
    nonce: secrets.nonce,
    code_challenge: calculateCodeChallenge(secrets.codeVerifier),
    code_challenge_method: 'S256'
  })
  if (config.resource !== undefined) params.set('resource', config.resource)
  const { identityProvider, lang, prompt } = options
  if (identityProvider !== undefined) {
    if (!IDENTITY_PROVIDER.test(identityProvider)) throw new InvalidLoginRequestError('identity_provider is not a provider name')
    params.set('identity_provider', identityProvider)
  }
  if (lang !== undefined) {
    if (!LANG.test(lang)) throw new InvalidLoginRequestError('lang is not a language tag')
    params.set('lang', lang)
  }
  if (prompt !== undefined) {
    if (!PROMPTS.has(prompt)) throw new InvalidLoginRequestError('prompt must be none, login, consent or select_account')
    params.set('prompt', prompt)
  }
  return `${config.authorizeUrl}?${params}`
}
