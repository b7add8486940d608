/**
 * GET /login: the authorize redirect (code flow, PKCE S256, state, nonce) and one transaction
 * cookie per login attempt on the callback path.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { setCookieLines, setCookies } from '../helpers/cookies.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const app = await buildApp(t, { ...pool.pluginOptions(), scopes: ['openid', 'email', 'orders/read'] }, {
  routes: (app) => {
    app.get('/sign-in-with-google', async (request, reply) => app.cognito.login(request, reply, { identityProvider: 'Google', returnTo: '/after' }))
  }
})
const URL_SAFE_43 = /^[A-Za-z0-9_-]{43}$/

function authorizeParams (location: string): URLSearchParams {
  const url = new URL(location)
  t.equal(url.origin + url.pathname, `${new URL(pool.issuer).origin}/oauth2/authorize`)
  return url.searchParams
}

t.test('GET /login redirects to Cognito\'s authorize endpoint with code flow, PKCE S256, state and nonce', async (t) => {
  const res = await app.inject({ url: '/login' })
  t.equal(res.statusCode, 302)
  t.equal(res.headers['cache-control'], 'no-store')
  const params = authorizeParams(res.headers.location as string)
  t.equal(params.get('response_type'), 'code')
  t.equal(params.get('client_id'), 'test-client')
  t.equal(params.get('redirect_uri'), 'http://localhost/auth/callback')
  t.equal(params.get('scope'), 'openid email orders/read')
  t.match(params.get('state'), URL_SAFE_43, 'state: 32 random bytes, URL-safe')
  t.match(params.get('nonce'), URL_SAFE_43)
  t.not(params.get('state'), params.get('nonce'))
  t.match(params.get('code_challenge'), URL_SAFE_43, 'a SHA-256 digest, base64url')
  t.equal(params.get('code_challenge_method'), 'S256')
  for (const absent of ['identity_provider', 'lang', 'prompt']) t.equal(params.has(absent), false)
})

t.test('a login sets one host-only transaction cookie on Path=/, SameSite=Lax', async (t) => {
  const res = await app.inject({ url: '/login' })
  const state = authorizeParams(res.headers.location as string).get('state') as string
  const lines = setCookieLines(res)
  t.equal(lines.length, 1)
  const line = lines[0] as string
  t.ok(line.startsWith('cognito_tx='), 'one cookie for the logins in progress')
  t.match(line, /; Path=\/(;|$)/)
  t.notMatch(line, /; Domain=/i)
  t.match(line, /; HttpOnly/)
  t.match(line, /; SameSite=Lax/)
  t.match(line, /; Max-Age=600/)
  t.notMatch(line, new RegExp(state), 'the cookie is sealed: the state is not readable in it')
})

t.test('two logins (two tabs) get two different transactions, both kept in the browser', async (t) => {
  const a = await app.inject({ url: '/login' })
  const b = await app.inject({ url: '/login', cookies: setCookies(a) })
  t.ok(setCookies(b).cognito_tx !== setCookies(a).cognito_tx, 'the second login re-seals the list with both')
  const pa = authorizeParams(a.headers.location as string)
  const pb = authorizeParams(b.headers.location as string)
  for (const name of ['state', 'nonce', 'code_challenge']) t.not(pa.get(name), pb.get(name), `different ${name}`)
})

t.test('identity_provider, lang and prompt are passed through to Cognito', async (t) => {
  const res = await app.inject({ url: '/login', query: { identity_provider: 'Google', lang: 'pt-BR', prompt: 'select_account' } })
  t.equal(res.statusCode, 302)
  const params = authorizeParams(res.headers.location as string)
  t.equal(params.get('identity_provider'), 'Google')
  t.equal(params.get('lang'), 'pt-BR')
  t.equal(params.get('prompt'), 'select_account')
  const saml = await app.inject({ url: '/login', query: { identity_provider: 'Okta SAML:corp.example-1' } })
  t.equal(authorizeParams(saml.headers.location as string).get('identity_provider'), 'Okta SAML:corp.example-1', 'a federated IdP name')
})

t.test('identity_provider, lang or prompt Cognito would refuse are a 400 FST_COGNITO_INVALID_LOGIN_REQUEST', async (t) => {
  const bad: Array<Record<string, string>> = [
    { identity_provider: 'Google&client_id=evil' },
    { identity_provider: '' },
    { identity_provider: 'x'.repeat(129) },
    { lang: 'english please' },
    { lang: 'e' },
    { prompt: 'always' },
    { prompt: '' }
  ]
  for (const query of bad) {
    const res = await app.inject({ url: '/login', query })
    t.equal(res.statusCode, 400, JSON.stringify(query))
    t.equal(res.json().code, 'FST_COGNITO_INVALID_LOGIN_REQUEST')
    t.equal(res.headers['set-cookie'], undefined, 'no transaction is started')
  }
})

t.test('repeated query parameters are ignored, never a 500', async (t) => {
  const res = await app.inject({ url: '/login?returnTo=/a&returnTo=/b&prompt=login&prompt=none&lang=en&lang=fr&identity_provider=A&identity_provider=B' })
  t.equal(res.statusCode, 302)
  const params = authorizeParams(res.headers.location as string)
  for (const absent of ['identity_provider', 'lang', 'prompt']) t.equal(params.has(absent), false, `${absent} left out`)
  const odd = await app.inject({ url: '/login?returnTo[x]=1&prompt[]=login&=&&' })
  t.equal(odd.statusCode, 302)
})

t.test('fastify.cognito.login() starts a login from the app\'s own handler', async (t) => {
  const res = await app.inject({ url: '/sign-in-with-google' })
  t.equal(res.statusCode, 302)
  t.equal(authorizeParams(res.headers.location as string).get('identity_provider'), 'Google')
  t.match(setCookieLines(res)[0], /^cognito_tx=/)
})
