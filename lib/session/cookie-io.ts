/**
 * Cookies read and written without adding a hook to the app.
 *
 * Registering @fastify/cookie on the app would add its `onSend` hook to every route of the app,
 * guarded or not (about 1.6 µs a request, a tenth of a bare route). The plugin uses @fastify/cookie's
 * own `parse` and `serialize` instead, as they are exported: the guards parse the Cookie header on
 * demand, and `Set-Cookie` lines are written when the plugin sets a cookie, on that reply only.
 * An app that registered @fastify/cookie keeps it: its parsed `request.cookies` are used, and its own
 * `reply.setCookie` lines and the plugin's are sent together.
 */
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'

export type Cookies = Record<string, string | undefined>
/**
 * The attributes the plugin sets, a subset of @fastify/cookie's `SerializeOptions`. Declared here so that
 * the package's types do not load @fastify/cookie's, which would give every app `reply.setCookie` and
 * `request.cookies` in its types whether or not it registered @fastify/cookie.
 */
export interface CookieOptions {
  domain?: string
  path?: string
  maxAge?: number
  expires?: Date
  httpOnly?: boolean
  secure?: boolean
  sameSite?: 'lax' | 'strict' | 'none'
}
export type SerializeCookie = (name: string, value: string, options: CookieOptions) => string

/** The cookies parsed by a guard, on requests of an app without @fastify/cookie's own parsing. */
const PARSED = Symbol('fastify-cognito.cookies')
/** The Set-Cookie lines the plugin wrote on a reply, by cookie (name, domain, path). */
const WRITTEN = Symbol('fastify-cognito.set-cookie')

interface WithParsed { [PARSED]: Cookies | null }
interface WithWritten { [WRITTEN]: Map<string, string> | null }

let loaded: Promise<void> | undefined

/**
 * @fastify/cookie's `parse` and `serialize`. They call the `cookie` package, which @fastify/cookie
 * imports (it is ESM only) when it is first registered: once per process, on a private instance.
 */
export async function cookieSyntax (): Promise<{ parse: (header: string) => Cookies, serialize: SerializeCookie }> {
  loaded ??= (async () => {
    const scope = Fastify({ logger: false })
    await scope.register(fastifyCookie, { hook: false })
    await scope.close()
  })()
  await loaded
  const { parse, serialize } = fastifyCookie.fastifyCookie
  return { parse: header => parse(header), serialize }
}

/** The request and reply fields the plugin keeps its cookies in, declared once so their shapes stay fixed. */
export function decorateCookieFields (fastify: FastifyInstance): void {
  if (!fastify.hasRequestDecorator(PARSED)) fastify.decorateRequest(PARSED, null)
  if (!fastify.hasReplyDecorator(WRITTEN)) fastify.decorateReply(WRITTEN, null)
}

/** The request's cookies: the app's @fastify/cookie parse when it ran, else parsed here once. */
export function requestCookies (request: FastifyRequest, parse: (header: string) => Cookies): Cookies {
  const parsedByApp = (request as { cookies?: Cookies | null }).cookies
  if (parsedByApp) return parsedByApp
  const own = request as unknown as WithParsed
  if (own[PARSED] !== null && own[PARSED] !== undefined) return own[PARSED]
  const header = request.headers.cookie
  const cookies = header ? parse(header) : {}
  own[PARSED] = cookies
  return cookies
}

/**
 * Writes one Set-Cookie line for `name` on this reply. A cookie set twice on one reply (same name,
 * domain and path) is sent once, as last set, as @fastify/cookie does; lines the app wrote stay.
 */
export function writeCookie (reply: FastifyReply, serialize: SerializeCookie, name: string, value: string, options: CookieOptions): void {
  const line = serialize(name, value, { sameSite: 'lax', ...options })
  const fields = reply as unknown as WithWritten
  const mine = fields[WRITTEN] ?? new Map<string, string>()
  fields[WRITTEN] = mine
  const before = new Set(mine.values())
  mine.set(`${name};${options.domain ?? ''};${options.path ?? '/'}`, line)
  const current = reply.getHeader('set-cookie')
  const theirs = current === undefined ? [] : (Array.isArray(current) ? current : [String(current)]).filter(l => !before.has(l))
  const lines = [...theirs, ...mine.values()]
  reply.removeHeader('set-cookie')
  // One line as a string, several as a list: what @fastify/cookie leaves for a reply's readers.
  reply.header('set-cookie', lines.length === 1 ? lines[0] : lines)
}

/** Clears a cookie: empty, expired, on the path (and domain) it was set with. */
export function clearCookie (reply: FastifyReply, serialize: SerializeCookie, name: string, options: CookieOptions): void {
  writeCookie(reply, serialize, name, '', { path: '/', ...options, expires: new Date(0), maxAge: 0 })
}
