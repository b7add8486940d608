/**
 * Login variants of managed login: login_hint, idp_identifier, lang from Accept-Language, combined
 * prompts, the sign-up route and passkey enrolment; each bad value a coded 400.
 */
import t from 'tap'
import { buildApp } from '../helpers/app.js'
import { CookieJar, setCookieLines, setCookies } from '../helpers/cookies.js'
import { startRig } from '../helpers/rig.js'

const rig = await startRig(t)
const app = await buildApp(t, rig.options({ languages: ['en', 'fr', 'pt-BR'] }), {
  routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito?.username }))
})

function authorize (location: unknown): URL {
  return new URL(String(location))
}

t.test('login_hint and idp_identifier are passed through; bad values are coded 400s', async (t) => {
  const hinted = authorize((await app.inject({ url: '/login?login_hint=alice%40example.com&idp_identifier=example.com' })).headers.location)
  t.equal(hinted.searchParams.get('login_hint'), 'alice@example.com')
  t.equal(hinted.searchParams.get('idp_identifier'), 'example.com')
  const bad: Array<[string, string]> = [
    ['a login_hint with a new line', 'login_hint=a%0Ab'],
    ['a 129-character login_hint', `login_hint=${'a'.repeat(129)}`],
    ['an idp_identifier with a space', 'idp_identifier=a%20b'],
    ['identity_provider and idp_identifier together', 'identity_provider=Google&idp_identifier=example.com'],
    ['prompt none with another value', 'prompt=none%20login'],
    ['a prompt repeated', 'prompt=login%20login'],
    ['an unknown prompt', 'prompt=create']
  ]
  for (const [what, query] of bad) {
    const res = await app.inject({ url: `/login?${query}` })
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().code, 'FST_COGNITO_INVALID_LOGIN_REQUEST', what)
    t.equal(res.headers['set-cookie'], undefined, `${what}: no transaction started`)
  }
  t.equal(authorize((await app.inject({ url: '/login?prompt=login%20consent' })).headers.location).searchParams.get('prompt'), 'login consent', 'combined prompts')
})

t.test('lang: the one asked for, else the best of the app\'s languages in Accept-Language, else none', async (t) => {
  const lang = async (query: string, acceptLanguage?: string): Promise<string | null> =>
    authorize((await app.inject({ url: `/login${query}`, headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage } })).headers.location).searchParams.get('lang')
  t.equal(await lang('?lang=de', 'fr'), 'de', 'an explicit lang wins')
  t.equal(await lang('', 'de-DE,fr;q=0.8,en;q=0.9'), 'en', 'by quality')
  t.equal(await lang('', 'pt-br'), 'pt-BR', 'exact tag, any case')
  t.equal(await lang('', 'fr-CA'), 'fr', 'the base language')
  t.equal(await lang('', 'de, ja'), null, 'none of ours: Cognito\'s default')
  t.equal(await lang('', 'en;q=0'), null, 'q=0 means not acceptable')
  t.equal(await lang(''), null, 'no header')
})

t.test('the languages option is validated at registration', async (t) => {
  await t.rejects(buildApp(t, rig.options({ languages: ['english!'] })), { code: 'FST_COGNITO_INVALID_OPTION', message: /languages/ })
})

t.test('/signup starts the same transaction at Cognito\'s sign-up page, and its callback signs the new user in', async (t) => {
  const jar = new CookieJar()
  const res = await app.inject({ url: '/signup?returnTo=%2Fme&login_hint=carol' })
  jar.store(res)
  const page = authorize(res.headers.location)
  t.equal(page.pathname, '/signup')
  for (const name of ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) t.ok(page.searchParams.get(name), name)
  t.equal(page.searchParams.get('login_hint'), 'carol')
  const back = await app.inject({ url: '/auth/callback', query: { code: rig.codeFor({ username: 'carol' }, page.searchParams.get('nonce') as string), state: page.searchParams.get('state') as string }, cookies: jar.cookies() })
  t.equal(back.statusCode, 302)
  t.equal(back.headers.location, '/me')
  t.same((await app.inject({ url: '/me', cookies: jar.store(back).cookies() })).json(), { user: 'carol' })
})

t.test('/passkeys/add sends a signed-in user to Cognito\'s enrolment and the bare return to the callback lands on returnTo', async (t) => {
  const anonymous = await app.inject({ url: '/passkeys/add', headers: { accept: 'text/html' } })
  t.equal(anonymous.statusCode, 302)
  t.match(anonymous.headers.location, /^\/login\?returnTo=/, 'signed out: to login first')
  const jar = new CookieJar(app.cognito.sealSession(await rig.mintTokens({ username: 'alice' })))
  const res = await app.inject({ url: '/passkeys/add?returnTo=%2Fsecurity', cookies: jar.cookies() })
  t.equal(res.statusCode, 302)
  const enrol = authorize(res.headers.location)
  t.equal(enrol.pathname, '/passkeys/add')
  t.equal(enrol.searchParams.get('client_id'), rig.pool.clientId)
  t.equal(enrol.searchParams.get('redirect_uri'), 'http://localhost/auth/callback')
  t.equal(res.headers['cache-control'], 'no-store')
  jar.store(res)
  const back = await app.inject({ url: '/auth/callback', cookies: jar.cookies() })
  t.equal(back.statusCode, 302)
  t.equal(back.headers.location, '/security')
  t.ok(setCookieLines(back).some(l => l.startsWith('cognito_passkeys=;')), 'the marker is spent')
  t.equal((await app.inject({ url: '/auth/callback', cookies: jar.store(back).cookies() })).statusCode, 400, 'a bare callback without it is the usual 400')
  const hostile = await app.inject({ url: '/auth/callback', cookies: { cognito_passkeys: encodeURIComponent('//evil.example') } })
  t.equal(hostile.headers.location, '/', 'a planted marker cannot redirect off-site')
  t.equal(hostile.statusCode, 302)
  const plain = await app.inject({ url: '/passkeys/add', cookies: jar.cookies() })
  t.equal(decodeURIComponent(String(setCookies(plain).cognito_passkeys)), '/', 'no returnTo: back to defaultReturnTo')
  const garbled = await app.inject({ url: '/auth/callback', cookies: { cognito_passkeys: '%E0%A4%A' } })
  t.equal(garbled.headers.location, '/', 'an undecodable marker falls back to defaultReturnTo')
})

t.test('routes.signup and routes.passkeys false unmount them', async (t) => {
  const bare = await buildApp(t, rig.options({ routes: { signup: false, passkeys: false } }))
  t.equal((await bare.inject({ url: '/signup' })).statusCode, 404)
  t.equal((await bare.inject({ url: '/passkeys/add' })).statusCode, 404)
  t.equal(setCookies(await bare.inject({ url: '/auth/callback', cookies: { cognito_passkeys: '%2F' } })).cognito_passkeys, undefined)
})
