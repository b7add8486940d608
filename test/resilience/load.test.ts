/**
 * Load: autocannon against a real listening app (loopback, port 0) on a guarded route with a session
 * cookie and on a bearer route at the same time: no error, no non-2xx answer, and a heap that stays
 * flat between the first and the last third of the run.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import autocannon from 'autocannon'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { cookieHeader } from '../helpers/cookies.js'
import { startRig } from '../helpers/rig.js'

const DURATION_S = 6
const SAMPLE_MS = 500

/** A full collection when the flag can be set at run time; `undefined` otherwise. */
function exposeGc (): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  } catch {
    return undefined
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

t.test('under load, guarded cookie and bearer routes answer 2xx only and the heap stays flat', async (t) => {
  const rig = await startRig(t)
  const app = await buildApp(t, rig.options({ timeout: 10_000, jwks: { timeout: 10_000 } }), { routes: summaryRoutes })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const alice = { username: 'alice', groups: ['admin'] }
  const cookie = cookieHeader(app.cognito.sealSession({ ...await rig.mintTokens(alice), refreshToken: rig.newRefreshToken(alice) }))
  const bearer = rig.pool.bearer(await rig.mintAccessToken(alice))

  // Warm-up: keys fetched, tokens verified and cached, code paths compiled.
  await Promise.all([
    autocannon({ url: `${base}/me`, headers: { cookie }, connections: 4, amount: 200 }),
    autocannon({ url: `${base}/admin`, headers: bearer, connections: 4, amount: 200 })
  ])

  const gc = exposeGc()
  const samples: number[] = []
  const sample = (): void => {
    gc?.()
    samples.push(process.memoryUsage().heapUsed)
  }
  sample()
  const timer = setInterval(sample, SAMPLE_MS)
  const [sessions, bearers] = await Promise.all([
    autocannon({ url: `${base}/me`, headers: { cookie }, connections: 8, duration: DURATION_S }),
    autocannon({ url: `${base}/admin`, headers: bearer, connections: 8, duration: DURATION_S })
  ])
  clearInterval(timer)
  sample()

  for (const [name, result] of [['cookie session on /me', sessions], ['bearer on /admin', bearers]] as const) {
    t.comment(`${name}: ${Math.round(result.requests.average)} req/s, ${result['2xx']} 2xx, p99 ${result.latency.p99} ms`)
    t.ok(result['2xx'] >= 20, `${name}: the load ran`)
    t.equal(result.errors, 0, `${name}: no error`)
    t.equal(result.timeouts, 0, `${name}: no timeout`)
    t.equal(result.non2xx, 0, `${name}: no non-2xx answer`)
  }
  t.equal(rig.idp.counts.token, 0, 'no refresh grant under load')

  const third = Math.floor(samples.length / 3)
  const first = median(samples.slice(0, third))
  const last = median(samples.slice(-third))
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`
  t.comment(`heapUsed${gc ? ' after gc' : ''}: first third ${mb(first)}, last third ${mb(last)} (${samples.length} samples)`)
  // Flat: a leak of a few hundred bytes per request would add tens of MB over the run.
  const ratio = gc ? 1.2 : 1.6
  t.ok(last <= first * ratio + 2 * 1024 * 1024, `heap of the last third within ${ratio}x (+2 MB) of the first third`)
})
