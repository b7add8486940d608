import t from 'tap'
import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import { clearCookie, cookieSyntax, decorateCookieFields, requestCookies, writeCookie } from '../../lib/session/cookie-io.js'

const OPTIONS = { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 60 } as const

t.test('a cookie set twice on one reply is sent once, as last set; other cookies and the app\'s lines stay', async (t) => {
  const { serialize } = await cookieSyntax()
  const app = Fastify()
  t.teardown(() => app.close())
  decorateCookieFields(app)
  app.get('/', async (_request, reply) => {
    reply.header('set-cookie', 'app=1; Path=/')
    writeCookie(reply, serialize, 'a', 'first', OPTIONS)
    writeCookie(reply, serialize, 'b', 'other', OPTIONS)
    writeCookie(reply, serialize, 'a', 'second', OPTIONS)
    writeCookie(reply, serialize, 'a', 'elsewhere', { ...OPTIONS, path: '/auth' })
    writeCookie(reply, serialize, 'c', 'no-path', { httpOnly: true })
    return 'ok'
  })
  const res = await app.inject({ url: '/' })
  t.same(res.headers['set-cookie'], [
    'app=1; Path=/',
    'a=second; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax',
    'b=other; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax',
    'a=elsewhere; Max-Age=60; Path=/auth; HttpOnly; Secure; SameSite=Lax',
    'c=no-path; HttpOnly; SameSite=Lax'
  ])
})

t.test('a cleared cookie is empty, expired and on its path; SameSite defaults to Lax as with @fastify/cookie', async (t) => {
  const { serialize } = await cookieSyntax()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  decorateCookieFields(app)
  app.get('/', async (_request, reply) => {
    clearCookie(reply, serialize, 'mine', { httpOnly: true, domain: 'example.com' })
    reply.clearCookie('theirs', { httpOnly: true, domain: 'example.com' })
    return 'ok'
  })
  const [mine, theirs] = (await app.inject({ url: '/' })).headers['set-cookie'] as string[]
  t.equal(mine, 'mine=; Max-Age=0; Domain=example.com; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax')
  t.equal(mine?.replace('mine=', 'theirs='), theirs, 'the same line @fastify/cookie writes')
})

t.test('the request\'s cookies: the app\'s @fastify/cookie parse when it ran, else parsed once on demand', async (t) => {
  const { parse } = await cookieSyntax()
  let parses = 0
  const counted = (header: string): Record<string, string | undefined> => { parses++; return parse(header) }
  const bare = Fastify()
  t.teardown(() => bare.close())
  decorateCookieFields(bare)
  bare.get('/', async (request) => {
    const first = requestCookies(request, counted)
    return { same: first === requestCookies(request, counted), theme: first.theme ?? null, parses }
  })
  t.same((await bare.inject({ url: '/', headers: { cookie: 'theme=dark; x=1' } })).json(), { same: true, theme: 'dark', parses: 1 })
  t.same((await bare.inject({ url: '/' })).json(), { same: true, theme: null, parses: 1 }, 'no header: nothing to parse')

  const withCookie = Fastify()
  t.teardown(() => withCookie.close())
  await withCookie.register(fastifyCookie)
  decorateCookieFields(withCookie)
  decorateCookieFields(withCookie)
  withCookie.get('/', async (request) => ({ same: requestCookies(request, counted) === request.cookies, parses }))
  t.same((await withCookie.inject({ url: '/', headers: { cookie: 'theme=dark' } })).json(), { same: true, parses: 1 }, 'the app\'s parse is used; decorating twice is harmless')
})
