/**
 * The class of the cookie findings: every cookie the plugin sets, on every route that sets one, for
 * every SameSite setting, has the prefix, Path, SameSite, attributes and size it must have, on an answer
 * no cache may store.
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { CookieJar, setCookieLines } from '../helpers/cookies.js'
import { startRig, type RigUser } from '../helpers/rig.js'

const HOST = 'app.example.com'
const HTTPS = { redirectUri: `https://${HOST}/auth/callback`, logoutUri: `https://${HOST}/` }
const SAME_ORIGIN = { host: HOST, 'sec-fetch-site': 'same-origin' }

for (const sameSite of ['lax', 'strict', 'none'] as const) {
  t.test(`SameSite=${sameSite}: every Set-Cookie from login to logout is __Host-, Path=/, HttpOnly, Secure, within 4096 bytes, with the right SameSite`, async (t) => {
    const rig = await startRig(t)
    rig.rotation = true
    const app = await buildApp(t, rig.options({ ...HTTPS, cookie: { sameSite } }), { routes: summaryRoutes })
    const seen: Array<{ route: string, line: string }> = []
    const record = (route: string, res: LightMyRequestResponse): LightMyRequestResponse => {
      for (const line of setCookieLines(res)) seen.push({ route, line })
      if (setCookieLines(res).length > 0) t.equal(res.headers['cache-control'], 'no-store', `${route}: an answer that sets cookies is never stored by a cache`)
      return res
    }
    const jar = new CookieJar()
    const login = record('login', await app.inject({ url: '/login?returnTo=%2Fme', headers: { host: HOST } }))
    jar.store(login)
    const params = new URL(login.headers.location as string).searchParams
    // A 6 kB ID token (pre-token-generation claims): its cookie is split into chunks, each checked.
    const user = { username: 'alice', groups: ['admin'], claims: { 'custom:profile': 'p'.repeat(5000) } } as RigUser
    const callback = record('callback', await app.inject({ url: '/auth/callback', query: { code: rig.codeFor(user, params.get('nonce') as string), state: params.get('state') as string }, headers: { host: HOST }, cookies: jar.cookies() }))
    t.ok([200, 302].includes(callback.statusCode), 'the login completes (a Strict session lands through a same-site page)')
    jar.store(callback)
    jar.store(record('refresh', await app.inject({ method: 'POST', url: '/refresh', headers: SAME_ORIGIN, cookies: jar.cookies() })))
    record('logout', await app.inject({ url: '/logout', headers: SAME_ORIGIN, cookies: jar.cookies() }))

    t.ok(seen.length >= 8, `${seen.length} Set-Cookie headers checked`)
    for (const { route, line } of seen) {
      const name = line.split('=')[0] as string
      const what = `${route}: ${name}`
      t.ok(name.startsWith('__Host-'), `${what}: __Host- prefix`)
      t.match(line, /; Path=\/(;|$)/, `${what}: Path=/`)
      t.notMatch(line, /; Domain=/i, `${what}: host-only`)
      t.match(line, /; HttpOnly/, `${what}: HttpOnly`)
      t.match(line, /; Secure/, `${what}: Secure`)
      t.ok(line.length <= 4096, `${what}: ${line.length} bytes`)
      const expected = name.endsWith('_tx') ? 'Lax' : sameSite[0]?.toUpperCase() + sameSite.slice(1)
      t.match(line, new RegExp(`; SameSite=${expected}(;|$)`), `${what}: SameSite=${expected}`)
    }
  })
}
