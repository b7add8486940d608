// `npm run bench`: requests per second of the plugin's paths against a plain Fastify app, with
// autocannon, each app in a child process of its own on a loopback port. Prints a markdown table.
//
// Scenarios run interleaved (a b c d e, three times) after a warm-up; the table shows the median of
// the three runs, and the median of the three per-round ratios to the baseline (a run compared with
// the baseline of its own round, which cancels most of the drift of a machine shared with others).
// BENCH_DURATION and BENCH_WARMUP (seconds) shorten or lengthen the runs.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import autocannon from 'autocannon'
import { createTestPool } from '../dist/testing/index.js'

const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2)
const ROUNDS = 3
const CONNECTIONS = 10

function startServer (mode, options, tokens) {
  const child = fork(new URL('./server.js', import.meta.url), { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', code => reject(new Error(`the ${mode} server exited (${code})`)))
    child.once('message', ({ url, cookies }) => resolve({ child, url, cookies }))
    child.send({ mode, options, tokens })
  })
}

function cookieHeader (cookies) {
  return Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ')
}

async function load (scenario, duration) {
  const result = await autocannon({ url: scenario.url, headers: scenario.headers, connections: CONNECTIONS, duration })
  return { rps: result.requests.average, p99: result.latency.p99, bad: result.errors + result.timeouts + result.non2xx }
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const pool = await createTestPool()
const options = { ...pool.pluginOptions(), redirectToLogin: false }
const { accessToken, idToken } = await pool.mintTokens({ username: 'alice', groups: ['admin', 'editor'], scopes: ['openid', 'email', 'profile'] })
// Cognito's refresh token is an opaque JWE of about 1,850 bytes.
const tokens = { accessToken, idToken, refreshToken: `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomBytes(1360).toString('base64url')}` }

const [baseline, plugin] = await Promise.all([startServer('baseline', options, tokens), startServer('plugin', options, tokens)])
const cookie = cookieHeader(plugin.cookies)
const bearer = `Bearer ${accessToken}`

const scenarios = [
  { id: 'a', label: 'baseline: Fastify without the plugin, unguarded route (same cookies)', url: `${baseline.url}/open`, headers: { cookie } },
  { id: 'b', label: 'plugin registered, unguarded route, session cookies', url: `${plugin.url}/open`, headers: { cookie } },
  { id: 'c', label: 'guarded route (authenticate), bearer token', url: `${plugin.url}/me`, headers: { authorization: bearer } },
  { id: 'd', label: 'guarded route (authenticate + ID token), session cookies', url: `${plugin.url}/me`, headers: { cookie } },
  { id: 'e', label: 'group-guarded route (requireGroups admin), session cookies', url: `${plugin.url}/admin`, headers: { cookie } }
]

let failed = false
try {
  // Every scenario must succeed before it is measured.
  for (const s of scenarios) {
    const res = await fetch(s.url, { headers: s.headers })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`scenario ${s.id} answered ${res.status}`)
  }
  console.error(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map(l => l.toFixed(2)).join(' ')}; ` +
    `${CONNECTIONS} connections, warm-up ${WARMUP} s, ${ROUNDS} interleaved rounds of ${DURATION} s per scenario; cookie header ${cookie.length} bytes`)
  for (const s of scenarios) await load(s, WARMUP)

  const runs = new Map(scenarios.map(s => [s.id, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of scenarios) {
      const run = await load(s, DURATION)
      runs.get(s.id).push(run)
      console.error(`round ${round} ${s.id}: ${Math.round(run.rps)} req/s${run.bad ? `, ${run.bad} errors/non-2xx` : ''}`)
    }
  }

  const baseRuns = runs.get('a')
  const lines = [
    `| scenario | req/s (median of ${ROUNDS}) | ratio to baseline (median of per-round ratios) | p99 latency (ms) | errors + non-2xx |`,
    '|---|---:|---:|---:|---:|'
  ]
  for (const s of scenarios) {
    const list = runs.get(s.id)
    const rps = median(list.map(r => r.rps))
    const ratio = median(list.map((r, i) => r.rps / baseRuns[i].rps))
    const bad = list.reduce((sum, r) => sum + r.bad, 0)
    if (bad > 0) failed = true
    lines.push(`| (${s.id}) ${s.label} | ${Math.round(rps)} | ${ratio.toFixed(2)} | ${median(list.map(r => r.p99))} | ${bad} |`)
  }
  console.log(lines.join('\n'))
} finally {
  baseline.child.disconnect()
  plugin.child.disconnect()
  await pool.close()
}
if (failed) process.exitCode = 1
