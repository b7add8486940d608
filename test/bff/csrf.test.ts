/**
 * The backend for frontend's CSRF defence, with no token in the page: the custom header on every
 * proxied request, Fetch Metadata and Origin on state-changing ones; refusals are coded 403s and
 * nothing reaches the API.
 */
import t from 'tap'
import { fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { fromTheApp, startBffApp, startUpstream } from '../helpers/bff.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const upstream = await startUpstream(t)
const { app, base } = await startBffApp(t, pool, idp, { proxies: [{ prefix: '/api', upstream: upstream.url }] })
const strict = await startBffApp(t, pool, idp, { proxies: [{ prefix: '/api', upstream: upstream.url }], csrfHeader: 'X-Requested-By', csrfValue: 'spa', allowSameSite: true, stripCsrfHeader: false })
const cookies = app.cognito.sealSession({ ...await pool.mintTokens({ username: 'alice' }), refreshToken: fakeRefreshToken() })

async function status (method: string, headers: Record<string, string>, target = app) {
  const res = await target.inject({ method, url: '/api/x', cookies, headers })
  return { status: res.statusCode, code: res.statusCode === 200 ? undefined : res.json().code }
}

t.test('a request without the custom header is refused, whatever its method', async (t) => {
  const before = upstream.received.length
  for (const method of ['GET', 'POST', 'DELETE']) {
    t.same(await status(method, { 'sec-fetch-site': 'same-origin' }), { status: 403, code: 'FST_COGNITO_CSRF_HEADER_REQUIRED' }, method)
  }
  t.same(await status('POST', { 'x-csrf': '' }), { status: 403, code: 'FST_COGNITO_CSRF_HEADER_REQUIRED' }, 'an empty value is no header')
  t.equal(upstream.received.length, before, 'nothing reached the API')
})

t.test('any value of the header will do, unless a value is configured', async (t) => {
  t.equal((await status('GET', { 'x-csrf': 'anything' })).status, 200)
  t.equal((await status('GET', { 'x-requested-by': 'other', origin: strict.base }, strict.app)).status, 403)
  t.equal((await status('GET', { 'x-requested-by': 'spa', origin: strict.base }, strict.app)).status, 200)
})

t.test('a state-changing request that says it is cross-site is refused, even with the header', async (t) => {
  t.same(await status('POST', { 'x-csrf': '1', 'sec-fetch-site': 'cross-site' }), { status: 403, code: 'FST_COGNITO_CROSS_SITE_REQUEST' })
  t.same(await status('PUT', { 'x-csrf': '1', origin: 'https://evil.example' }), { status: 403, code: 'FST_COGNITO_CROSS_SITE_REQUEST' })
  t.same(await status('PATCH', { 'x-csrf': '1', 'sec-fetch-site': 'same-site' }), { status: 403, code: 'FST_COGNITO_CROSS_SITE_REQUEST' }, 'same-site is another origin')
  t.equal((await status('PATCH', { 'x-requested-by': 'spa', 'sec-fetch-site': 'same-site' }, strict.app)).status, 200, 'allowed by allowSameSite')
})

t.test('a reading request with the header passes whatever it says of its site; an old browser passes on the header alone', async (t) => {
  t.equal((await status('GET', { 'x-csrf': '1', 'sec-fetch-site': 'cross-site' })).status, 200, 'the header itself needed a preflight the BFF never grants')
  t.equal((await status('POST', { 'x-csrf': '1' })).status, 200, 'no Fetch Metadata, no Origin')
  t.equal((await status('DELETE', fromTheApp(base))).status, 200)
})

t.test('a CORS preflight is refused: it never carries the custom header', async (t) => {
  const res = await app.inject({ method: 'OPTIONS', url: '/api/x', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf' } })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['access-control-allow-origin'], undefined)
})

t.test('the header is forwarded when stripCsrfHeader is false', async (t) => {
  const res = await strict.app.inject({ url: '/api/x', cookies, headers: { 'x-requested-by': 'spa' } })
  t.equal(res.json().headers['x-requested-by'], 'spa')
})
