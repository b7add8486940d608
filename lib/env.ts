/**
 * Options from the environment, with flask-cognito-lib's variable names (and `SECRET_KEY`), so that an
 * app moving from Flask keeps its deployment's configuration.
 */
import { InvalidOptionError } from './errors.js'
import type { FastifyCognitoOptions, SameSite } from './types.js'

function envFlag (env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (/^(true|1|yes|on)$/i.test(raw)) return true
  if (/^(false|0|no|off)$/i.test(raw)) return false
  throw new InvalidOptionError(`${name} must be true or false (got "${raw}")`)
}

function envNumber (env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new InvalidOptionError(`${name} must be a non-negative number (got "${raw}")`)
  return value
}

/**
 * Builds options from environment variables with flask-cognito-lib's names (and `SECRET_KEY`).
 * Unset variables are left out, so the plugin's defaults apply; `overrides` win over the environment.
 *
 * @example
 * await app.register(fastifyCognito, optionsFromEnv(process.env, { routes: { refresh: false } }))
 */
export function optionsFromEnv (env: NodeJS.ProcessEnv = process.env, overrides: Partial<FastifyCognitoOptions> = {}): FastifyCognitoOptions {
  const pick = (name: string): string | undefined => env[name] === '' ? undefined : env[name]
  const scopes = pick('AWS_COGNITO_SCOPES')
  const sameSite = pick('AWS_COGNITO_COOKIE_SAMESITE')
  if (sameSite !== undefined && !/^(lax|strict|none)$/i.test(sameSite)) {
    throw new InvalidOptionError(`AWS_COGNITO_COOKIE_SAMESITE must be lax, strict or none (got "${sameSite}")`)
  }
  const cookie = {
    domain: pick('AWS_COGNITO_COOKIE_DOMAIN'),
    sameSite: sameSite?.toLowerCase() as SameSite | undefined,
    maxAge: envNumber(env, 'AWS_COGNITO_COOKIE_AGE_SECONDS'),
    refreshMaxAge: envNumber(env, 'AWS_COGNITO_REFRESH_COOKIE_AGE_SECONDS')
  }
  const fromEnv = {
    region: pick('AWS_REGION'),
    userPoolId: pick('AWS_COGNITO_USER_POOL_ID'),
    domain: pick('AWS_COGNITO_DOMAIN'),
    clientId: pick('AWS_COGNITO_USER_POOL_CLIENT_ID'),
    clientSecret: pick('AWS_COGNITO_USER_POOL_CLIENT_SECRET'),
    redirectUri: pick('AWS_COGNITO_REDIRECT_URL'),
    logoutUri: pick('AWS_COGNITO_LOGOUT_URL'),
    scopes: scopes?.split(/[\s,]+/).filter(Boolean),
    leeway: envNumber(env, 'AWS_COGNITO_EXPIRATION_LEEWAY'),
    refresh: envFlag(env, 'AWS_COGNITO_REFRESH_FLOW_ENABLED'),
    disabled: envFlag(env, 'AWS_COGNITO_DISABLED'),
    issuer: pick('AWS_COGNITO_ISSUER'),
    secret: pick('SECRET_KEY'),
    cookie: dropUndefined(cookie)
  }
  const merged = { ...dropUndefined(fromEnv), ...overrides } as FastifyCognitoOptions
  // Cookie settings merge one level deeper: overriding cookie.name keeps the environment's cookie.domain.
  if (overrides.cookie !== undefined) merged.cookie = { ...fromEnv.cookie, ...overrides.cookie }
  return merged
}

function dropUndefined<T extends object> (value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
