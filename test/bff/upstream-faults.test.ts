/**
 * An upstream that is down, hangs or breaks off gets the browser a coded 502 or 504 in bounded time,
 * never a 500 nor a hang; server-sent events stream through as they come.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { cookieHeader } from '../helpers/cookies.js'
import { freePort } from '../helpers/redis.js'
import { sleep } from '../helpers/sleep.js'
import { fromTheApp, startBffApp, startUpstream } from '../helpers/bff.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)

const hanging = await startUpstream(t, () => { /* never answers */ })
const resetting = await startUpstream(t, (req) => { req.socket.destroy() })
const events = await startUpstream(t, (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.write('data: first\n\n')
  // The stream stays open until the test has read the first event.
  events.server.once('finish-stream', () => res.end('data: last\n\n'))
})

/** An https upstream whose certificate no CA vouches for (made by openssl, when installed). */
async function selfSignedUpstream (): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bff-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => { res.end('{"reached":true}') })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) }))
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`
}
const noOpenssl = existsSync('/usr/bin/openssl') ? false : 'openssl not installed at /usr/bin/openssl: run apt-get install openssl'
const untrusted = noOpenssl === false ? await selfSignedUpstream() : 'https://127.0.0.1:9'

const { app, base } = await startBffApp(t, pool, idp, {
  proxies: [
    { prefix: '/down', upstream: `http://127.0.0.1:${await freePort()}` },
    { prefix: '/slow', upstream: hanging.url, timeout: 300 },
    { prefix: '/reset', upstream: resetting.url },
    { prefix: '/events', upstream: events.url, timeout: 300 },
    { prefix: '/tls', upstream: untrusted }
  ]
})
const cookie = cookieHeader(app.cognito.sealSession({ ...await pool.mintTokens({ username: 'alice' }), refreshToken: fakeRefreshToken() }))

async function call (path: string) {
  const started = Date.now()
  const res = await request(`${base}${path}`, { method: 'POST', headers: { ...fromTheApp(base), cookie }, body: '{}' })
  const body = await res.body.json() as { code: string, message: string }
  return { status: res.statusCode, code: body.code, message: body.message, ms: Date.now() - started }
}

t.test('an upstream that is down: 502 FST_COGNITO_UPSTREAM_UNAVAILABLE', async (t) => {
  const res = await call('/down/x')
  t.equal(res.status, 502)
  t.equal(res.code, 'FST_COGNITO_UPSTREAM_UNAVAILABLE')
  t.notMatch(res.message, /127\.0\.0\.1|ECONNREFUSED/, 'no address or socket code reaches the browser')
})

t.test('an upstream that never answers: 504 FST_COGNITO_UPSTREAM_TIMEOUT, after the proxy\'s timeout, not a hang', async (t) => {
  const res = await call('/slow/x')
  t.equal(res.status, 504)
  t.equal(res.code, 'FST_COGNITO_UPSTREAM_TIMEOUT')
  t.ok(res.ms < 10_000, `answered in ${res.ms} ms`)
  t.equal(hanging.received.length, 1, 'the request did reach it')
})

t.test('an upstream that drops the connection: 502', async (t) => {
  const res = await call('/reset/x')
  t.equal(res.status, 502)
  t.equal(res.code, 'FST_COGNITO_UPSTREAM_UNAVAILABLE')
})

t.test('an https upstream whose certificate does not verify gets no token: 502', { skip: noOpenssl }, async (t) => {
  const res = await call('/tls/x')
  t.equal(res.status, 502)
  t.equal(res.code, 'FST_COGNITO_UPSTREAM_UNAVAILABLE')
})

t.test('server-sent events stream through: the first event arrives while the stream is open', async (t) => {
  const res = await request(`${base}/events/stream`, { headers: { ...fromTheApp(base), cookie, accept: 'text/event-stream' } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/event-stream/)
  const reader = res.body[Symbol.asyncIterator]()
  const first = await reader.next()
  t.match(String(first.value), /data: first/, 'read before the upstream ended the stream')
  // A quiet stream outlives the proxy's timeout: that one is for connecting and the headers.
  await sleep(600)
  events.server.emit('finish-stream')
  let rest = ''
  for (let next = await reader.next(); next.done !== true; next = await reader.next()) rest += String(next.value)
  t.match(rest, /data: last/)
  t.equal(events.received[0]?.headers.authorization?.startsWith('Bearer '), true)
})
