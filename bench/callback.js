// The callback's own work: what `GET /postlogin?code&state` costs the app, Cognito's time excluded.
// Run by `npm run bench` (in a child pinned to core 0) or alone: `node bench/callback.js` (after
// `npm run build`); BENCH_QUICK=1 shortens it.
//
// Each login is a real one: GET /login (the transaction cookie and the hosted-UI
// redirect, whose state and nonce are read back), then GET /postlogin with a code (both through
// Fastify's `inject`), which the plugin exchanges over real HTTP at a token endpoint on loopback (a plain node:http server in this process answering tokens
// minted beforehand for that nonce: an RS256 access and ID token pair, Cognito-shaped, and an opaque
// refresh token of Cognito's size). The callback's time is the server's time from the request's arrival
// to its answer (Fastify's onRequest to onResponse), minus the time spent in the call to the token
// endpoint (the plugin's own `fastify-cognito:cognito-call` event, durationMs). What remains is the
// plugin's work: reading the transaction, verifying both fresh tokens (never seen before: two RS256
// verifications), sealing three cookies, and the redirect. Results: median, p90 and p99 in ms.
import { subscribe } from 'node:diagnostics_channel'
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import fastifyCognito from '../dist/index.js'
import { createTestPool } from '../dist/testing/index.js'

const QUICK = process.env.BENCH_QUICK === '1'
const LOGINS = QUICK ? 100 : 500
const WARMUP = QUICK ? 20 : 50

export async function measureCallback () {
  const pool = await createTestPool()
  // Tokens minted ahead, by nonce, so that the token endpoint's own time is small; it is excluded anyway.
  const answers = new Map()
  const idp = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => { body += chunk })
    req.on('end', () => {
      const code = new URLSearchParams(body).get('code')
      const tokens = answers.get(code)
      answers.delete(code)
      res.writeHead(tokens === undefined ? 400 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(tokens ?? { error: 'invalid_grant' }))
    })
  })
  await new Promise(resolve => idp.listen(0, '127.0.0.1', resolve))
  const domain = `http://127.0.0.1:${idp.address().port}`

  const app = Fastify({ logger: false })
  await app.register(fastifyCognito, { ...pool.pluginOptions(), domain, issuer: pool.issuer })
  app.get('/', async () => 'home')
  const serverTimes = new Map()
  app.addHook('onRequest', async (request) => { request.benchStart = process.hrtime.bigint() })
  app.addHook('onResponse', async (request) => {
    if (request.url.startsWith(new URL(pool.pluginOptions().redirectUri).pathname)) serverTimes.set(request.id, Number(process.hrtime.bigint() - request.benchStart) / 1e6)
  })
  await app.ready()
  // The app's requests come in Fastify's injection (no socket: the server's own work only), on the
  // redirect URI's host, as a browser would send them.
  const { host, pathname: callbackPath } = new URL(pool.pluginOptions().redirectUri)

  let cognitoMs = 0
  const onCall = (message) => { if (message.endpoint === 'token endpoint') cognitoMs += message.durationMs }
  subscribe('fastify-cognito:cognito-call', onCall)

  const own = []
  const failures = []
  for (let i = 0; i < WARMUP + LOGINS; i++) {
    const login = await app.inject({ url: '/login', headers: { host } })
    const location = new URL(login.headers.location)
    const state = location.searchParams.get('state')
    const nonce = location.searchParams.get('nonce')
    const cookies = Object.fromEntries(login.cookies.map(c => [c.name, c.value]))
    const user = { username: `user${i}`, groups: ['admin'], nonce }
    const { accessToken, idToken } = await pool.mintTokens(user)
    const code = randomBytes(16).toString('base64url')
    answers.set(code, { access_token: accessToken, id_token: idToken, refresh_token: `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomBytes(1360).toString('base64url')}`, token_type: 'Bearer', expires_in: 3600 })
    cognitoMs = 0
    serverTimes.clear()
    const callback = await app.inject({ url: `${callbackPath}?code=${code}&state=${encodeURIComponent(state)}`, headers: { host }, cookies })
    if (callback.statusCode !== 302) {
      failures.push(`${callback.statusCode} ${callback.body}`)
      continue
    }
    const [server] = serverTimes.values()
    if (i >= WARMUP && server !== undefined) own.push(server - cognitoMs)
  }
  await app.close()
  idp.close()
  await pool.close()
  if (own.length === 0) throw new Error(`no callback succeeded (statuses: ${failures.slice(0, 5).join(', ')})`)
  own.sort((a, b) => a - b)
  const at = p => own[Math.min(own.length - 1, Math.floor(p / 100 * own.length))]
  return { logins: own.length, failures: failures.length, medianMs: at(50), p90Ms: at(90), p99Ms: at(99) }
}

if (process.send !== undefined) {
  process.send(await measureCallback().catch(err => ({ error: err.message })))
  process.disconnect()
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureCallback()
  console.log(`callback's own work over ${result.logins} logins (Cognito's time excluded): median ${result.medianMs.toFixed(3)} ms, p90 ${result.p90Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms; ${result.failures} failed`)
}
