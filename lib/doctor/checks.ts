/**
 * The doctor's checks that need no network: the options as the plugin would resolve them, the
 * secret's length, plain-http URLs, and whether Cognito's largest tokens fit in the session cookies.
 * They read the same environment as `optionsFromEnv` (flask-cognito-lib's variable names).
 */
import { optionsFromEnv } from '../env.js'
import { resolveOptions, type ResolvedConfig } from '../options.js'
import { createCodec } from '../session/codec.js'
import { cookieSyntax } from '../session/cookie-io.js'
import { CookieLayout, type SessionCookie } from '../session/cookies.js'
import { fail, ok, skip, warn, type CheckResult } from './report.js'

/** The environment variable behind each option `optionsFromEnv` reads, to name it in a fix. */
const ENV_OF_OPTION: Record<string, string> = {
  userPoolId: 'AWS_COGNITO_USER_POOL_ID',
  region: 'AWS_REGION',
  clientId: 'AWS_COGNITO_USER_POOL_CLIENT_ID',
  clientSecret: 'AWS_COGNITO_USER_POOL_CLIENT_SECRET',
  domain: 'AWS_COGNITO_DOMAIN',
  redirectUri: 'AWS_COGNITO_REDIRECT_URL',
  logoutUri: 'AWS_COGNITO_LOGOUT_URL',
  secret: 'SECRET_KEY',
  scopes: 'AWS_COGNITO_SCOPES',
  issuer: 'AWS_COGNITO_ISSUER',
  leeway: 'AWS_COGNITO_EXPIRATION_LEEWAY',
  'cookie.domain': 'AWS_COGNITO_COOKIE_DOMAIN',
  'cookie.sameSite': 'AWS_COGNITO_COOKIE_SAMESITE',
  'cookie.maxAge': 'AWS_COGNITO_COOKIE_AGE_SECONDS',
  'cookie.refreshMaxAge': 'AWS_COGNITO_REFRESH_COOKIE_AGE_SECONDS'
}

/** Stands in for a secret the secret check refuses, so that the other checks still run. Never used to seal anything real. */
const PLACEHOLDER_SECRET = 'fastify-cognito-doctor-placeholder-secret-0123456789'

/** Cognito accepts plain http only for these hosts (the same list as options.ts). */
const LOCALHOST = new Set(['localhost', '127.0.0.1', '[::1]'])

export interface Resolution {
  /** The configuration the network checks use; with a placeholder secret when only the secret was refused. */
  config: ResolvedConfig | undefined
  /** Why the options are invalid (the option error's message, without its prefix). */
  error: string | undefined
}

function messageOf (err: unknown): string {
  return (err as Error).message.replace(/^fastify-cognito: option /, '')
}

/** `resolveOptions(optionsFromEnv(env))`, as the plugin runs it at registration. */
export function resolveFromEnv (env: NodeJS.ProcessEnv): Resolution {
  let options
  try {
    options = optionsFromEnv(env)
  } catch (err) {
    return { config: undefined, error: messageOf(err) }
  }
  try {
    return { config: resolveOptions(options), error: undefined }
  } catch (err) {
    const error = messageOf(err)
    try {
      // A short or missing SECRET_KEY has its own check; Cognito can still be asked about the rest.
      return { config: resolveOptions({ ...options, secret: PLACEHOLDER_SECRET }), error }
    } catch {
      return { config: undefined, error }
    }
  }
}

/** Check 1: the options resolve, or the option error's message and the variable to change. */
export function checkOptions ({ config, error }: Resolution): CheckResult {
  if (error === undefined) {
    const c = config as ResolvedConfig
    const client = c.clientSecret === undefined ? 'public client' : `client secret of ${c.clientSecret.length} characters`
    return ok('options', `valid: pool ${c.userPoolId}, client ${c.clientId} (${client}), domain ${c.domain}`)
  }
  const subject = /^[\w.]+/.exec(error)?.[0] ?? ''
  const variable = /^[A-Z][A-Z0-9_]+$/.test(subject) ? subject : ENV_OF_OPTION[subject]
  return fail('options', error, variable === undefined
    ? 'correct the option named (README, "Options")'
    : `set ${variable} as the message says (README, "Options")`)
}

/** Check 5: `SECRET_KEY` at least 32 bytes (the plugin refuses less); a warning under 48. Prints the length only. */
export function checkSecret (env: NodeJS.ProcessEnv): CheckResult {
  const secret = env.SECRET_KEY ?? ''
  const fix = 'set SECRET_KEY to 48 or more random characters, e.g. the output of `openssl rand -base64 48`'
  if (secret === '') return fail('secret', 'SECRET_KEY is not set', fix)
  const length = Buffer.byteLength(secret)
  if (length < 32) return fail('secret', `SECRET_KEY is ${length} bytes long, under the 32 the plugin requires`, fix)
  if (length < 48) return warn('secret', `SECRET_KEY is ${length} bytes long: accepted, but under 48`, fix)
  return ok('secret', `SECRET_KEY is ${length} bytes long`)
}

/** Check 8: redirect and sign-out URLs use https, or plain http on localhost only (as Cognito requires). */
export function checkHttps (env: NodeJS.ProcessEnv): CheckResult {
  const found: string[] = []
  const problems: string[] = []
  for (const [variable, label] of [['AWS_COGNITO_REDIRECT_URL', 'redirect URI'], ['AWS_COGNITO_LOGOUT_URL', 'logout URI']] as const) {
    const raw = env[variable] ?? ''
    if (raw === '') {
      problems.push(`${variable} is not set`)
      continue
    }
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      problems.push(`${variable} is not an absolute URL`)
      continue
    }
    if (url.protocol === 'https:') found.push(`${label} https`)
    else if (url.protocol === 'http:' && LOCALHOST.has(url.hostname)) found.push(`${label} http on ${url.hostname} (development only)`)
    else problems.push(`${label} ${url.origin} is ${url.protocol.slice(0, -1)} on a host other than localhost`)
  }
  if (problems.length > 0) {
    return fail('https', problems.join('; '),
      'set AWS_COGNITO_REDIRECT_URL and AWS_COGNITO_LOGOUT_URL to https:// URLs registered on the app client (Cognito takes plain http only for localhost)')
  }
  return ok('https', found.join(', '))
}

export interface TokenSizes { access: number, id: number, refresh: number }

/** Token sizes from cognito.md: typical ones, and the largest (an ID token grown by a pre-token-generation trigger). */
export const COGNITO_TOKEN_SIZES: { typical: TokenSizes, largest: TokenSizes } = {
  typical: { access: 1100, id: 1750, refresh: 1850 },
  largest: { access: 1100, id: 6000, refresh: 1850 }
}

/** Proxies and load balancers often cap a request's headers at 8 kB (Node's own default is 16 kB). */
const HEADER_BUDGET = 8192

/**
 * Check 6: seals dummy tokens of Cognito's sizes with the codec the plugin uses, lays them out in cookies
 * with the configured names and attributes, and measures: the largest token must fit in the 9 cookies a
 * value may take; a typical session's Cookie header should stay under 8 kB.
 */
export async function checkCookies (config: ResolvedConfig, sizes = COGNITO_TOKEN_SIZES): Promise<CheckResult> {
  const codec = await createCodec(config.codec)
  try {
    // The plugin's own serializer: the layout budgets each cookie's value from the Set-Cookie line it writes.
    const layout = new CookieLayout(config.cookie, () => ({}), (await cookieSyntax()).serialize)
    const kinds: SessionCookie[] = config.refresh ? ['access', 'id', 'refresh'] : ['access', 'id']
    const cookiesOf = (tokens: TokenSizes): Array<[string, string]> =>
      kinds.flatMap(kind => layout.chunks(kind, codec.seal(kind, 'x'.repeat(tokens[kind]))))
    const headerOf = (cookies: Array<[string, string]>): number => cookies.map(([name, value]) => `${name}=${value}`).join('; ').length
    let largest: Array<[string, string]>
    try {
      largest = cookiesOf(sizes.largest)
    } catch {
      return fail('cookies', `Cognito's largest tokens (a ${sizes.largest.id}-byte ID token) do not fit in 9 cookies of 4096 bytes: such logins fail with FST_COGNITO_TOKEN_TOO_LARGE`,
        'shorten the cookie name and drop AWS_COGNITO_COOKIE_DOMAIN, or trim the claims your pre-token-generation trigger adds')
    }
    const idCookies = largest.filter(([name]) => name === config.cookie.names.id || name.startsWith(`${config.cookie.names.id}.`)).length
    const typical = headerOf(cookiesOf(sizes.typical))
    const found = `a session's Cookie header is ${typical} bytes (${headerOf(largest)} with a ${sizes.largest.id}-byte ID token, in ${idCookies} cookie(s))`
    if (typical > HEADER_BUDGET) {
      return warn('cookies', `${found}: above the 8 kB many proxies allow`,
        'raise the request header limit of proxies and load balancers in front of the app to 16 kB, or turn the refresh flow off (AWS_COGNITO_REFRESH_FLOW_ENABLED=false)')
    }
    return ok('cookies', found)
  } finally {
    await codec.close()
  }
}

/** The name of a check that cannot run because the options are invalid. */
export function notRun (name: string): CheckResult {
  return skip(name, 'not run: the options are invalid')
}
