/**
 * The checks `resolveOptions` is made of: each validates one option and fails with a message that names
 * it and says what it must be.
 */
import { hkdfSync } from 'node:crypto'
import { InvalidOptionError } from './errors.js'
import type { Purpose } from './session/codec.js'
import type { FastifyCognitoOptions } from './types.js'

const LOCALHOST = new Set(['localhost', '127.0.0.1', '[::1]'])
export const COOKIE_NAME = /^[A-Za-z0-9_-]{1,32}$/
const PATH = /^\/[\x21-\x7e]*$/

export function fail (name: string, must: string): never {
  throw new InvalidOptionError(`${name} ${must}`)
}

export function requireString (value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(name, 'is required and must be a non-empty string')
  return value.trim()
}

export function parseUrl (value: unknown, name: string): URL {
  const raw = requireString(value, name)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    fail(name, `must be an absolute URL (got "${raw}")`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCALHOST.has(url.hostname))) {
    fail(name, 'must use https (plain http is only allowed for localhost)')
  }
  return url
}

export function positive (value: unknown, name: string, fallback: number, { allowZero = false } = {}): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    fail(name, `must be a ${allowZero ? 'non-negative' : 'positive'} number`)
  }
  return value
}

export function flag (value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(name, 'must be a boolean')
  return value
}

export function routePath (value: unknown, name: string, fallback: string): string | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value !== 'string' || !PATH.test(value)) fail(name, 'must be a path starting with "/", or false')
  return value
}

export function deriveKeys (secret: FastifyCognitoOptions['secret'] | undefined): Record<Purpose | 'rest', Buffer[]> {
  const list = Array.isArray(secret) ? secret : [secret]
  if (list.length === 0) fail('secret', 'must hold at least one secret')
  const secrets = list.map((s, i) => {
    const name = Array.isArray(secret) ? `secret[${i}]` : 'secret'
    if (typeof s !== 'string' && !Buffer.isBuffer(s)) fail(name, 'is required: a string of at least 32 characters (env SECRET_KEY)')
    if (Buffer.byteLength(s) < 32) fail(name, 'must be at least 32 characters long')
    return Buffer.from(s)
  })
  // HKDF (RFC 5869) turns each secret into one independent 32-byte key per purpose: each cookie's, and a store's records at rest.
  const derive = (info: string): Buffer[] =>
    secrets.map(s => Buffer.from(hkdfSync('sha256', s, 'fastify-cognito', info, 32)))
  const cookie = (purpose: Purpose): Buffer[] => derive(`cookie:${purpose}:v1`)
  return { access: cookie('access'), id: cookie('id'), refresh: cookie('refresh'), tx: cookie('tx'), sid: cookie('sid'), seen: cookie('seen'), started: cookie('started'), rest: derive('store:record:v1') }
}

/** The callback's path (the redirect URI's, as the browser sees it) as mounted in a context with `prefix`. */
export function mountedCallback (path: string | false, prefix: string): string | false {
  if (path === false || prefix === '') return path
  if (!path.startsWith(`${prefix}/`)) fail('redirectUri', `path must be under the prefix "${prefix}" of the context the plugin is registered in (got "${path}")`)
  return path.slice(prefix.length)
}

export function languageList (value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([])
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string' || !/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(v))) fail('languages', 'must be a list of language tags')
  return Object.freeze([...value as string[]])
}

export function sessionLifetimes (value: FastifyCognitoOptions['session']): { absoluteTimeout: number | undefined, idleTimeout: number | undefined, refreshAhead: number | undefined } {
  if (value === undefined) return { absoluteTimeout: undefined, idleTimeout: undefined, refreshAhead: undefined }
  if (value === null || typeof value !== 'object') fail('session', 'must be an object')
  const seconds = (v: unknown, name: string): number | undefined => v === undefined ? undefined : positive(v, `session.${name}`, 0)
  const idleTimeout = seconds(value.idleTimeout, 'idleTimeout')
  // The idle clock moves at most once a minute (one cookie write a minute): a shorter timeout could not be kept.
  if (idleTimeout !== undefined && idleTimeout < 120) fail('session.idleTimeout', 'must be at least 120 seconds')
  return { absoluteTimeout: seconds(value.absoluteTimeout, 'absoluteTimeout'), idleTimeout, refreshAhead: seconds(value.refreshAhead, 'refreshAhead') }
}
