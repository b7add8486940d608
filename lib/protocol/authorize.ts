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
const IDP_IDENTIFIER = /^[\w.@:-]{1,40}$/
const LANG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])
/** A user name or email to pre-fill: printable, no controls, Cognito's user name length. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const LOGIN_HINT = /^[^\x00-\x1f\x7f]{1,128}$/

/** Fresh state, nonce and PKCE verifier. */
export function newLoginSecrets (): LoginSecrets {
  return { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken() }
}

/**
 * The managed login page's language: the one asked for, else the first of the app's `languages`
 * that the browser's `Accept-Language` names (RFC 9110 §12.5.4, by quality), else none (Cognito's default).
 */
export function chooseLanguage (languages: readonly string[], acceptLanguage: string | undefined): string | undefined {
  if (languages.length === 0 || acceptLanguage === undefined) return undefined
  const ranked = acceptLanguage.split(',').map((part, index) => {
    const [tag = '', ...params] = part.trim().split(';')
    const q = params.map(p => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find(v => v !== undefined)
    return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index }
  }).filter(r => r.tag !== '' && r.q > 0).sort((a, b) => b.q - a.q || a.index - b.index)
  for (const { tag } of ranked) {
    const exact = languages.find(l => l.toLowerCase() === tag)
    const base = languages.find(l => l.toLowerCase() === tag.split('-')[0] || l.toLowerCase().split('-')[0] === tag)
    if (exact !== undefined || base !== undefined) return exact ?? base
  }
  return undefined
}

/**
 * The authorize URL for one login attempt (`page: 'signup'` for the managed sign-up page, which takes
 * the same query); throws a coded 400 for an option Cognito would refuse.
 */
export function buildAuthorizeUrl (config: AuthorizeConfig, secrets: LoginSecrets, options: LoginOptions = {}, page: 'authorize' | 'signup' = 'authorize'): string {
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
  const { identityProvider, idpIdentifier, lang, prompt, loginHint } = options
  if (identityProvider !== undefined && idpIdentifier !== undefined) throw new InvalidLoginRequestError('identity_provider and idp_identifier cannot both be given')
  if (identityProvider !== undefined) {
    if (!IDENTITY_PROVIDER.test(identityProvider)) throw new InvalidLoginRequestError('identity_provider is not a provider name')
    params.set('identity_provider', identityProvider)
  }
  if (idpIdentifier !== undefined) {
    if (!IDP_IDENTIFIER.test(idpIdentifier)) throw new InvalidLoginRequestError('idp_identifier is not an identifier')
    params.set('idp_identifier', idpIdentifier)
  }
  if (lang !== undefined) {
    if (!LANG.test(lang)) throw new InvalidLoginRequestError('lang is not a language tag')
    params.set('lang', lang)
  }
  if (prompt !== undefined) {
    // OIDC Core §3.1.2.1: space-separated values, and none only alone.
    const values = prompt.split(' ')
    if (!values.every(v => PROMPTS.has(v)) || (values.includes('none') && values.length > 1) || new Set(values).size !== values.length) {
      throw new InvalidLoginRequestError('prompt must be none, or one or more of login, consent, select_account')
    }
    params.set('prompt', prompt)
  }
  if (loginHint !== undefined) {
    if (!LOGIN_HINT.test(loginHint)) throw new InvalidLoginRequestError('login_hint must be 1 to 128 printable characters')
    params.set('login_hint', loginHint)
  }
  const base = page === 'signup' ? config.authorizeUrl.replace(/\/oauth2\/authorize$/, '/signup') : config.authorizeUrl
  return `${base}?${params}`
}
