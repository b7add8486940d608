/**
 * The callback of an app whose session cookies are SameSite=Strict. The callback is a navigation that
 * started on Cognito's site: a browser does not send the Strict cookies it just set along a redirect of
 * that navigation, so the guard at returnTo would start another login, in a loop (test/e2e/
 * browser-login-edges.test.ts shows it in Chromium). The callback answers a page instead, which moves
 * the browser to returnTo by itself: a same-site navigation, which carries the cookies.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../helpers/app.js'
import { setCookieLines, setCookies } from '../helpers/cookies.js'
import { alice, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)

/** Starts a login on `app` and answers its code exchange; returns the callback's answer. */
async function callback (app: FastifyInstance, returnTo: string) {
  const start = await app.inject({ url: '/login', query: { returnTo } })
  const params = new URL(start.headers.location as string).searchParams
  const nonce = params.get('nonce') as string
  idp.setToken('ok')
  idp.onToken(async () => ({
    json: { access_token: await pool.mintAccessToken(alice), id_token: await pool.mintIdToken({ ...alice, nonce }), refresh_token: 'opaque-refresh-token', token_type: 'Bearer', expires_in: 3600 }
  }))
  return app.inject({ url: '/auth/callback', query: { code: 'the-code', state: params.get('state') as string }, cookies: setCookies(start) })
}

t.test('with SameSite=Strict sessions the callback answers a page that moves the browser to returnTo by itself, HTML-escaped', async (t) => {
  const app = await buildApp(t, { ...idpOptions(pool, idp), cookie: { sameSite: 'strict' } })
  // The "'" stays in the path and the "&" in the query after normalisation: both must be escaped.
  const res = await callback(app, "/it's?x=1&y=2")
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
  t.equal(res.headers['cache-control'], 'no-store', 'never cached: it sets the session cookies')
  t.equal(res.headers['referrer-policy'], 'no-referrer', 'the next page is not told the callback URL (it holds the code)')
  t.equal(res.headers.location, undefined, 'not a redirect')
  const target = '/it&#39;s?x=1&#38;y=2'
  t.match(res.body, `<meta http-equiv="refresh" content="0;url=${target}">`)
  t.match(res.body, `<a href="${target}">`, 'and a link, for a browser that does not follow refreshes')
  t.notMatch(res.body, /it's|x=1&y/, 'no part of returnTo unescaped')

  const lines = setCookieLines(res)
  t.same(Object.keys(setCookies(res)).filter(name => !name.endsWith('_tx')).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'], 'the session is stored')
  for (const line of lines.filter(l => !l.split('=')[0]?.endsWith('_tx'))) t.match(line, /; SameSite=Strict/)
})

t.test('an onLogin hook that answers keeps its answer with Strict sessions too', async (t) => {
  const app = await buildApp(t, {
    ...idpOptions(pool, idp),
    cookie: { sameSite: 'strict' },
    onLogin: async (_request, reply) => reply.redirect('/welcome', 303)
  })
  const res = await callback(app, '/orders')
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/welcome')
})

t.test('with Lax (the default) or None sessions the callback still redirects to returnTo', async (t) => {
  for (const cookie of [undefined, { sameSite: 'none', secure: true }] as const) {
    const app = await buildApp(t, { ...idpOptions(pool, idp), ...(cookie === undefined ? {} : { cookie }) })
    const res = await callback(app, '/orders?page=2')
    t.equal(res.statusCode, 302, cookie?.sameSite ?? 'lax (the default)')
    t.equal(res.headers.location, '/orders?page=2')
  }
})
