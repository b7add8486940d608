import { createServer } from 'node:net'
import t from 'tap'
import { Agent, request, type Dispatcher } from 'undici'
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { startFaultyIdp, type Behaviour, type Endpoint, type FaultyIdp } from '../helpers/faulty-idp.js'
import { sleep } from '../helpers/sleep.js'
import type { Teardown } from '../helpers/teardown.js'

const agent = new Agent()
t.teardown(() => agent.destroy())

interface Answer { status: number, headers: Dispatcher.ResponseData['headers'], text: string }

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

function target (idp: FaultyIdp, endpoint: Endpoint): { url: string, options: Partial<Dispatcher.RequestOptions> } {
  if (endpoint === 'jwks') return { url: `${idp.issuer}/.well-known/jwks.json`, options: { method: 'GET' } }
  const body = endpoint === 'token'
    ? new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r-1', client_id: 'c' }).toString()
    : new URLSearchParams({ token: 'r-1', client_id: 'c' }).toString()
  return { url: `${idp.url}/oauth2/${endpoint}`, options: { method: 'POST', headers: FORM, body } }
}

async function call (idp: FaultyIdp, endpoint: Endpoint, timeoutMs = 1000): Promise<Answer> {
  const { url, options } = target(idp, endpoint)
  const res = await request(url, { dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, ...options })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

async function start (t: Teardown): Promise<FaultyIdp> {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  return idp
}

function setAll (idp: FaultyIdp, b: Behaviour, opts?: { delayMs?: number }): void {
  idp.setJwks(b, opts)
  idp.setToken(b, opts)
  idp.setRevoke(b, opts)
}

const ENDPOINTS: Endpoint[] = ['jwks', 'token', 'revoke']

const parses = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

t.test('url and issuer are loopback URLs; the issuer ends with the pool id', async (t) => {
  const idp = await start(t)
  t.match(idp.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(idp.issuer, `${idp.url}/us-east-1_Faulty`)
  const custom = await startFaultyIdp({ poolId: 'eu-west-1_Other' })
  t.teardown(() => custom.close())
  t.equal(custom.issuer, `${custom.url}/eu-west-1_Other`)
  t.equal((await request(`${custom.issuer}/.well-known/jwks.json`, { dispatcher: agent })).statusCode, 200)
})

t.test('ok: the JWKS serves the set given to setJwksBody ({ keys: [] } by default) and jose verifies against it', async (t) => {
  const idp = await start(t)
  const empty = await call(idp, 'jwks')
  t.equal(empty.status, 200)
  t.match(empty.headers['content-type'], /^application\/json/)
  t.same(JSON.parse(empty.text), { keys: [] })

  const { privateKey, publicKey } = await generateKeyPair('RS256')
  idp.setJwksBody({ keys: [{ ...await exportJWK(publicKey), kid: 'k1', alg: 'RS256', use: 'sig' }] })
  const token = await new SignJWT({ token_use: 'access' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(idp.issuer).setExpirationTime('5m').sign(privateKey)
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${idp.issuer}/.well-known/jwks.json`)), { issuer: idp.issuer })
  t.equal(payload.token_use, 'access')
})

t.test('ok: the token endpoint answers what onToken returns for the parsed form and headers', async (t) => {
  const idp = await start(t)
  const seen: Array<{ form: URLSearchParams, authorization: string | undefined }> = []
  idp.onToken((form, headers) => {
    seen.push({ form, authorization: headers.authorization })
    return form.get('grant_type') === 'refresh_token'
      ? { json: { access_token: 'a', id_token: 'i', token_type: 'Bearer', expires_in: 3600 } }
      : { status: 400, json: { error: 'unsupported_grant_type' } }
  })
  const basic = `Basic ${Buffer.from('c:s').toString('base64')}`
  const res = await request(`${idp.url}/oauth2/token`, {
    dispatcher: agent,
    method: 'POST',
    headers: { ...FORM, authorization: basic },
    body: 'grant_type=refresh_token&refresh_token=r%2B1'
  })
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), { access_token: 'a', id_token: 'i', token_type: 'Bearer', expires_in: 3600 })
  t.equal(seen[0]?.form.get('refresh_token'), 'r+1', 'the form is decoded')
  t.equal(seen[0]?.authorization, basic, 'the headers reach the handler')

  const other = await request(`${idp.url}/oauth2/token`, { dispatcher: agent, method: 'POST', headers: FORM, body: 'grant_type=password' })
  t.equal(other.statusCode, 400, 'the handler chooses the status')
  t.same(await other.body.json(), { error: 'unsupported_grant_type' })
})

t.test('ok: an async onToken handler is awaited; a throwing one gives 500 server_error', async (t) => {
  const idp = await start(t)
  idp.onToken(async () => await Promise.resolve({ json: { access_token: 'late' } }))
  t.same(JSON.parse((await call(idp, 'token')).text), { access_token: 'late' })
  idp.onToken(() => { throw new Error('boom') })
  const res = await call(idp, 'token')
  t.equal(res.status, 500)
  t.match(JSON.parse(res.text), { error: 'server_error', error_description: /boom/ })
})

t.test('ok: without an onToken handler the token endpoint answers 400 invalid_request', async (t) => {
  const idp = await start(t)
  const res = await call(idp, 'token')
  t.equal(res.status, 400)
  t.match(JSON.parse(res.text), { error: 'invalid_request' })
})

t.test('ok: revoke answers 200 with an empty body and the form is recorded', async (t) => {
  const idp = await start(t)
  const res = await call(idp, 'revoke')
  t.equal(res.status, 200)
  t.equal(res.text, '')
  t.equal(idp.requests.length, 1)
  t.equal(idp.requests[0]?.endpoint, 'revoke')
  t.equal(idp.requests[0]?.form?.get('token'), 'r-1')
})

t.test('logout redirects 302 to logout_uri, and answers 400 without one', async (t) => {
  const idp = await start(t)
  const res = await request(`${idp.url}/logout?client_id=c&logout_uri=${encodeURIComponent('http://localhost/bye')}`, { dispatcher: agent })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, 'http://localhost/bye')
  await res.body.dump()
  const bad = await request(`${idp.url}/logout?client_id=c`, { dispatcher: agent })
  t.equal(bad.statusCode, 400)
  await bad.body.dump()
})

t.test('down: the connection is dropped without any answer, on every endpoint', async (t) => {
  const idp = await start(t)
  setAll(idp, 'down')
  for (const endpoint of ENDPOINTS) {
    await t.rejects(call(idp, endpoint), { code: 'UND_ERR_SOCKET' }, endpoint)
  }
  t.same(idp.counts, { jwks: 1, token: 1, revoke: 1, userinfo: 0 }, 'each request was received once (not retried)')
})

t.test('hang: no answer ever arrives, and close() ends the hanging request', async (t) => {
  const idp = await startFaultyIdp()
  setAll(idp, 'hang')
  await Promise.all(ENDPOINTS.map(async (endpoint) =>
    await t.rejects(call(idp, endpoint, 200), { code: 'UND_ERR_HEADERS_TIMEOUT' }, endpoint)))
  // A client without a timeout would wait forever; close() must free it so tests can exit.
  const pending = call(idp, 'token', 0)
  for (let i = 0; i < 300 && idp.counts.token < 2; i++) await sleep(10)
  t.equal(idp.counts.token, 2, 'the request arrived')
  await idp.close()
  await t.rejects(pending, { code: 'UND_ERR_SOCKET' })
})

t.test('slow: the normal answer arrives after delayMs; a shorter client timeout gives up first', async (t) => {
  const idp = await start(t)
  idp.onToken(() => ({ json: { access_token: 'a' } }))
  setAll(idp, 'slow', { delayMs: 300 })
  for (const endpoint of ENDPOINTS) {
    const started = Date.now()
    const res = await call(idp, endpoint)
    t.ok(Date.now() - started >= 290, `${endpoint} waited`)
    t.equal(res.status, 200, `${endpoint} then answered normally`)
  }
  t.same(JSON.parse((await call(idp, 'token')).text), { access_token: 'a' })
  // undici's headersTimeout ticks with about one second of resolution: keep the margins wide.
  idp.setJwks('slow', { delayMs: 5000 })
  const started = Date.now()
  await t.rejects(call(idp, 'jwks', 200), { code: 'UND_ERR_HEADERS_TIMEOUT' })
  t.ok(Date.now() - started < 4000, 'the client gave up before the answer')
})

t.test('slow: the delay defaults to one second', async (t) => {
  const idp = await start(t)
  idp.setRevoke('slow')
  const started = Date.now()
  t.equal((await call(idp, 'revoke', 5000)).status, 200)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 990 && elapsed < 2500, `answered after about 1000 ms (${elapsed})`)
})

t.test('status500: every endpoint answers 500', async (t) => {
  const idp = await start(t)
  setAll(idp, 'status500')
  for (const endpoint of ENDPOINTS) t.equal((await call(idp, endpoint)).status, 500, endpoint)
})

t.test('html: every endpoint answers 200 text/html that is not JSON', async (t) => {
  const idp = await start(t)
  setAll(idp, 'html')
  for (const endpoint of ENDPOINTS) {
    const res = await call(idp, endpoint)
    t.equal(res.status, 200)
    t.match(res.headers['content-type'], /^text\/html/)
    t.notOk(parses(res.text), `${endpoint} body is not JSON`)
  }
})

t.test('garbage: every endpoint answers 200 application/json whose body does not parse', async (t) => {
  const idp = await start(t)
  setAll(idp, 'garbage')
  for (const endpoint of ENDPOINTS) {
    const res = await call(idp, endpoint)
    t.equal(res.status, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.notOk(parses(res.text), `${endpoint} body is not JSON`)
  }
})

t.test('json-without-tokens: valid JSON that holds neither tokens nor keys', async (t) => {
  const idp = await start(t)
  setAll(idp, 'json-without-tokens')
  idp.onToken(() => ({ json: { access_token: 'never served' } }))
  for (const endpoint of ENDPOINTS) {
    const res = await call(idp, endpoint)
    t.equal(res.status, 200)
    const json = JSON.parse(res.text) as Record<string, unknown>
    for (const key of ['access_token', 'id_token', 'refresh_token', 'keys']) t.notOk(key in json, `${endpoint} has no ${key}`)
  }
})

t.test('invalid-grant: every endpoint answers 400 { error: invalid_grant }', async (t) => {
  const idp = await start(t)
  setAll(idp, 'invalid-grant')
  for (const endpoint of ENDPOINTS) {
    const res = await call(idp, endpoint)
    t.equal(res.status, 400)
    t.same(JSON.parse(res.text), { error: 'invalid_grant' })
  }
})

t.test('behaviours are per endpoint and switch back at run time', async (t) => {
  const idp = await start(t)
  idp.setJwks('status500')
  idp.setToken('invalid-grant')
  t.equal((await call(idp, 'jwks')).status, 500)
  t.equal((await call(idp, 'token')).status, 400)
  t.equal((await call(idp, 'revoke')).status, 200, 'revoke is still ok')
  idp.setJwks('ok')
  t.equal((await call(idp, 'jwks')).status, 200, 'jwks recovered')
  t.same(idp.requests.map(r => `${r.endpoint}:${r.behaviour}`), ['jwks:status500', 'token:invalid-grant', 'revoke:ok', 'jwks:ok'])
})

t.test('counts tally requests per endpoint; unknown paths and wrong methods do not count', async (t) => {
  const idp = await start(t)
  await call(idp, 'jwks')
  await call(idp, 'jwks')
  await call(idp, 'token')
  t.same(idp.counts, { jwks: 2, token: 1, revoke: 0, userinfo: 0 })

  const notFound = await request(`${idp.url}/oauth2/introspect`, { dispatcher: agent })
  t.equal(notFound.statusCode, 404)
  await notFound.body.dump()
  const wrongPool = await request(`${idp.url}/us-east-1_Other/.well-known/jwks.json`, { dispatcher: agent })
  t.equal(wrongPool.statusCode, 404)
  await wrongPool.body.dump()
  const getToken = await request(`${idp.url}/oauth2/token`, { dispatcher: agent })
  t.equal(getToken.statusCode, 405)
  await getToken.body.dump()
  t.same(idp.counts, { jwks: 2, token: 1, revoke: 0, userinfo: 0 })
})

t.test('a real client sees the faults: jose JWKS fetches time out on hang and fail on garbage', async (t) => {
  const idp = await start(t)
  const jwksUrl = new URL(`${idp.issuer}/.well-known/jwks.json`)
  const { privateKey } = await generateKeyPair('RS256')
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(privateKey)
  idp.setJwks('hang')
  await t.rejects(jwtVerify(token, createRemoteJWKSet(jwksUrl, { timeoutDuration: 200 })), { code: 'ERR_JWKS_TIMEOUT' })
  idp.setJwks('garbage')
  await t.rejects(jwtVerify(token, createRemoteJWKSet(jwksUrl)), { code: 'ERR_JOSE_GENERIC', cause: { name: 'SyntaxError' } })
  idp.setJwks('json-without-tokens')
  await t.rejects(jwtVerify(token, createRemoteJWKSet(jwksUrl)), { code: 'ERR_JWKS_INVALID' })
})

t.test('close frees the port and may be called twice', async (t) => {
  const idp = await startFaultyIdp()
  const port = Number(new URL(idp.url).port)
  await call(idp, 'jwks') // leaves a keep-alive connection
  await idp.close()
  await idp.close()
  await t.rejects(call(idp, 'jwks'), { code: 'ECONNREFUSED' })
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
  t.ok(free, 'the port can be bound again')
})
