/**
 * WebSocket upgrades through the backend for frontend: authenticated by the session cookie and a
 * same-origin `Origin` (a browser cannot add headers to an upgrade); the upstream connection carries
 * the user's access token and none of the browser's cookies, and messages flow both ways.
 */
import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { cookieHeader } from '../helpers/cookies.js'
import { startBffApp } from '../helpers/bff.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)

const upgrades: Array<{ url: string | undefined, headers: IncomingHttpHeaders }> = []
const upstream = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise(resolve => upstream.once('listening', resolve))
t.teardown(() => new Promise(resolve => { for (const c of upstream.clients) c.terminate(); upstream.close(resolve) }))
upstream.on('connection', (socket, req) => {
  upgrades.push({ url: req.url, headers: req.headers })
  socket.send('hello from the API')
  socket.on('message', data => socket.send(`echo: ${String(data)}`))
})
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`

const { app, base } = await startBffApp(t, pool, idp, {
  proxies: [
    { prefix: '/live', upstream: `${upstreamUrl}/ws`, websocket: true },
    { prefix: '/staff', upstream: upstreamUrl, websocket: true, groups: ['staff'] },
    { prefix: '/plain', upstream: upstreamUrl }
  ]
})
const tokens = await pool.mintTokens({ username: 'alice' })
const cookie = cookieHeader(app.cognito.sealSession({ ...tokens, refreshToken: fakeRefreshToken() }))
const wsBase = base.replace(/^http/, 'ws')

/** The HTTP status a refused upgrade gets, or 101 once open (then closed). */
function upgradeStatus (path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}${path}`, { headers })
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode as number); res.resume(); ws.terminate() })
    ws.once('open', () => { resolve(101); ws.close() })
    ws.once('error', reject)
  })
}

t.test('an upgrade without a session is refused (401) and never reaches the API', async (t) => {
  t.equal(await upgradeStatus('/live/chat', { origin: base }), 401)
  t.equal(upgrades.length, 0)
})

t.test('an upgrade from another origin, or with none, is refused (403) even with the session', async (t) => {
  t.equal(await upgradeStatus('/live/chat', { origin: 'https://evil.example', cookie }), 403)
  t.equal(await upgradeStatus('/live/chat', { cookie }), 403)
  t.equal(await upgradeStatus('/staff/chat', { origin: base, cookie }), 403, 'the proxy\'s groups hold for upgrades too')
  t.equal(upgrades.length, 0)
})

t.test('an upgrade under a prefix without websocket: true is answered 400, not left hanging', async (t) => {
  t.equal(await upgradeStatus('/plain/chat', { origin: base, cookie }), 400)
  t.equal(upgrades.length, 0)
})

t.test('a signed-in upgrade: the API gets the bearer and no cookie, and messages flow both ways', async (t) => {
  const ws = new WebSocket(`${wsBase}/live/chat?room=1`, { headers: { origin: base, cookie } })
  t.teardown(() => ws.terminate())
  const messages: string[] = []
  const got = new Promise<void>(resolve => ws.on('message', data => {
    messages.push(String(data))
    if (messages.length === 2) resolve()
  }))
  await new Promise(resolve => ws.once('open', resolve))
  ws.send('hi')
  await got
  t.same(messages, ['hello from the API', 'echo: hi'])
  t.equal(upgrades.length, 1)
  t.equal(upgrades[0]?.url, '/ws/chat?room=1')
  t.equal(upgrades[0]?.headers.authorization, `Bearer ${tokens.accessToken}`)
  t.equal(upgrades[0]?.headers.cookie, undefined)
})
