/**
 * The doctor's checks that ask Cognito: the discovery document, the JWKS, the authorize endpoint for
 * this client and redirect URI, and the clock, from the `Date` header of those answers. Every call goes
 * through `callCognito` (timeouts, size cap, errors in words) and never follows a redirect.
 */
import { callCognito, type HttpAnswer, type HttpConfig } from '../protocol/http.js'
import { usableSigningKey } from '../protocol/jwks-cache.js'
import { calculateCodeChallenge, randomToken } from '../protocol/pkce.js'
import type { TransportError } from '../errors.js'
import type { ResolvedConfig } from '../options.js'
import { fail, ok, printable, skip, warn, type CheckResult } from './report.js'

/** Discovery documents and key sets are a few kB, login pages some tens: refuse to buffer more. */
const MAX_BODY = 1024 * 1024

/** A `Date` header and the local times the call was sent and answered, in ms since the epoch. */
export interface ClockReading { server: number, sentAt: number, answeredAt: number }

/** Calls Cognito with GET and keeps the `Date` of each answer, for the clock check. */
export class Probe {
  readonly readings: ClockReading[] = []
  readonly #http: HttpConfig
  readonly #now: () => number

  constructor (http: HttpConfig, now: () => number = Date.now) {
    this.#http = http
    this.#now = now
  }

  async get (endpoint: string, url: string, accept: string): Promise<HttpAnswer> {
    const sentAt = this.#now()
    const answer = await callCognito(this.#http, { endpoint, url, method: 'GET', headers: { accept }, maxBody: MAX_BODY })
    const server = Date.parse(String(answer.headers.date))
    if (Number.isFinite(server)) this.readings.push({ server, sentAt, answeredAt: this.#now() })
    return answer
  }
}

const ISSUER_FIX = 'check AWS_COGNITO_USER_POOL_ID and AWS_REGION (the issuer is https://cognito-idp.<region>.amazonaws.com/<pool id>), ' +
  'AWS_COGNITO_ISSUER when set, and that this machine can reach it (proxy, firewall)'

function reasonOf (err: unknown): string {
  return (err as TransportError).reason
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Check 2: `<issuer>/.well-known/openid-configuration` answers, with the configured issuer and `<issuer>/.well-known/jwks.json`. */
export async function checkDiscovery (probe: Probe, config: ResolvedConfig): Promise<CheckResult> {
  const issuer = config.issuers[0] as string
  const url = `${issuer}/.well-known/openid-configuration`
  let answer: HttpAnswer
  try {
    answer = await probe.get('discovery document', url, 'application/json')
  } catch (err) {
    return fail('discovery', `${url} ${reasonOf(err)}`, ISSUER_FIX)
  }
  if (answer.status !== 200) return fail('discovery', `${url} answered HTTP ${answer.status}`, ISSUER_FIX)
  const document = answer.json
  if (!isObject(document)) return fail('discovery', `${url} is not a JSON document`, ISSUER_FIX)
  const problems: string[] = []
  // Tokens carry the issuer the pool announces; the plugin accepts only the configured one.
  if (document.issuer !== issuer) problems.push(`its issuer is ${printable(document.issuer)}, not the configured ${issuer}`)
  // The plugin fetches keys from <issuer>/.well-known/jwks.json, never from the document.
  if (document.jwks_uri !== config.jwksUri) problems.push(`its jwks_uri is ${printable(document.jwks_uri)}, not ${config.jwksUri}`)
  if (problems.length > 0) {
    return fail('discovery', problems.join('; '),
      'leave AWS_COGNITO_ISSUER unset for Cognito, or set it to the issuer the document announces; check AWS_COGNITO_USER_POOL_ID and AWS_REGION')
  }
  return ok('discovery', `${url}: issuer and jwks_uri as configured`)
}

/** Check 3: the JWKS answers with at least one key the verifier can use: RS256, 2048 bits or more, named by a `kid`. */
export async function checkJwks (probe: Probe, config: ResolvedConfig): Promise<CheckResult> {
  const url = config.jwksUri
  let answer: HttpAnswer
  try {
    answer = await probe.get('JWKS endpoint', url, 'application/json')
  } catch (err) {
    return fail('jwks', `${url} ${reasonOf(err)}`, ISSUER_FIX)
  }
  if (answer.status !== 200) return fail('jwks', `${url} answered HTTP ${answer.status}`, ISSUER_FIX)
  const keys = isObject(answer.json) ? answer.json.keys : undefined
  if (!Array.isArray(keys)) return fail('jwks', `${url} is not a JSON Web Key Set`, ISSUER_FIX)
  const signing = keys.filter(key => usableSigningKey(key) !== undefined).length
  if (signing === 0) {
    return fail('jwks', `${url} holds ${keys.length} key(s), none an RS256 signing key of 2048 bits or more with a kid: no token would verify`,
      'point the issuer at a Cognito user pool (or an emulator that signs with RS256 and names its keys)')
  }
  return ok('jwks', `${url}: ${signing} RS256 signing key(s) of 2048 bits or more with a kid`)
}

const DOMAIN_FIX = 'set AWS_COGNITO_DOMAIN to the user pool\'s hosted UI domain (https://<prefix>.auth.<region>.amazoncognito.com or ' +
  'your custom domain), never the issuer'

/** Check 4: `<domain>/oauth2/authorize` for this client and redirect URI leads to a login page, not to an error. */
export async function checkAuthorize (probe: Probe, config: ResolvedConfig): Promise<CheckResult> {
  const url = new URL(config.authorizeUrl)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scopes.join(' '),
    state: 'doctor',
    code_challenge: calculateCodeChallenge(randomToken()),
    code_challenge_method: 'S256'
  }).toString()
  let answer: HttpAnswer
  try {
    answer = await probe.get('authorize endpoint', url.href, 'text/html')
  } catch (err) {
    return fail('authorize', `${config.authorizeUrl} ${reasonOf(err)}`, DOMAIN_FIX)
  }
  const location = answer.headers.location as string | undefined
  if (answer.status >= 300 && answer.status < 400 && location !== undefined) {
    const target = new URL(location, url)
    const error = target.searchParams.get('error')
    if (error === null) return ok('authorize', `${config.authorizeUrl} redirects to the login page ${target.origin}${target.pathname}`)
    return refused(config, error, target.searchParams.get('error_description'))
  }
  if (answer.status === 200) return ok('authorize', `${config.authorizeUrl} answers with the login page`)
  // The local stand-in (oidc-provider) answers a bad client or redirect_uri with an error page, not a redirect.
  const code = /\b(?:invalid_redirect_uri|redirect_mismatch|invalid_client|unauthorized_client|invalid_scope|invalid_request)\b/.exec(answer.text)?.[0]
  if (code !== undefined) return refused(config, code, null)
  return fail('authorize', `${config.authorizeUrl} answered HTTP ${answer.status}`, DOMAIN_FIX)
}

function refused (config: ResolvedConfig, error: string, description: string | null): CheckResult {
  // Cognito shows a bad redirect_uri as <domain>/error?error=redirect_mismatch and never reaches the app.
  if (error === 'redirect_mismatch' || error === 'invalid_redirect_uri') {
    return fail('authorize', `the redirect URI ${config.redirectUri} is not registered for client ${config.clientId} (${error})`,
      `add ${config.redirectUri} exactly to the app client's allowed callback URLs, or set AWS_COGNITO_REDIRECT_URL to one of them`)
  }
  if (error === 'invalid_client') {
    return fail('authorize', `${config.domain} does not know client ${config.clientId} (invalid_client)`,
      'check AWS_COGNITO_USER_POOL_CLIENT_ID, and that AWS_COGNITO_DOMAIN is the domain of that client\'s user pool')
  }
  return fail('authorize', `Cognito refused the login request: ${printable(error)}${description === null ? '' : ` (${printable(description)})`}`,
    'check the app client: authorization code grant on, the scopes of AWS_COGNITO_SCOPES allowed, an identity provider enabled, ' +
    'and the callback URL registered exactly')
}

/**
 * Check 7: Cognito's clock against this one. A `Date` header has a one-second resolution and the answer
 * took time, so Cognito's time at the answer lies in [date, date + 1 s) while ours lay in [sent, answered]:
 * the skew reported is the smallest one consistent with both, so a clock in step never looks off.
 */
export function checkClock (readings: ClockReading[], leeway: number): CheckResult {
  if (readings.length === 0) return skip('clock', 'no answer from Cognito with a Date header to compare with')
  let worst = 0
  for (const { server, sentAt, answeredAt } of readings) {
    const low = server - answeredAt
    const high = server + 1000 - sentAt
    const skew = low > 0 ? low : high < 0 ? high : 0
    if (Math.abs(skew) > Math.abs(worst)) worst = skew
  }
  const seconds = Math.abs(worst) / 1000
  const fix = 'synchronise this machine\'s clock (NTP: `timedatectl set-ntp true`, chrony or the cloud provider\'s time service)'
  const found = `this machine's clock is ${seconds.toFixed(1)} s ${worst > 0 ? 'behind' : 'ahead of'} Cognito's`
  if (seconds > leeway) return fail('clock', `${found}, beyond the ${leeway} s leeway: tokens will look expired or not yet valid`, fix)
  if (seconds > 1) return warn('clock', `${found}: within the ${leeway} s leeway, but more than 1 s`, fix)
  return ok('clock', `in step with Cognito's within the Date header's 1 s precision (${readings.length} answers)`)
}
