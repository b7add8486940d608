// A CPU profile of one guarded route under load, for finding where the guard's time goes (not a
// benchmark: `npm run bench` measures). Usage, after `npm run build`:
//   taskset -c 0 node bench/profile.js <bearer|cookie|identify> [seconds]
// The app runs in this process under the V8 inspector's profiler; autocannon runs in a child process.
// It prints the functions with the most self time, and writes the profile to bench/results/<mode>.cpuprofile
// (open it in Chrome's DevTools for the full picture).
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import Fastify from 'fastify'
import fastifyCognito from '../dist/index.js'
import { createTestPool, sessionCookieHeader } from '../dist/testing/index.js'

const mode = process.argv[2] ?? 'cookie'
const seconds = Number(process.argv[3] ?? 5)
if (!['bearer', 'cookie', 'identify'].includes(mode)) throw new Error('mode: bearer, cookie or identify')

const pool = await createTestPool()
const pluginOptions = { ...pool.pluginOptions(), redirectToLogin: false }
const app = Fastify({ logger: false })
await app.register(fastifyCognito, pluginOptions)
app.get('/page', { preHandler: mode === 'identify' ? app.cognito.identify : app.cognito.requireGroups(['admin']) }, async () => ({ ok: true }))
await app.listen({ host: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${app.server.address().port}/page`

const tokens = await pool.mintTokens({ username: 'alice', groups: ['admin'], scopes: ['openid', 'email', 'profile'] })
const refreshToken = `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomBytes(1360).toString('base64url')}`
const headers = mode === 'bearer'
  ? { authorization: `Bearer ${tokens.accessToken}` }
  : mode === 'cookie' ? { cookie: sessionCookieHeader(app, { ...tokens, refreshToken }) } : {}
const check = await app.inject({ url: '/page', headers })
if (check.statusCode !== 200) throw new Error(`the route answered ${check.statusCode}`)

const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 100 })
await session.post('Profiler.start')
const args = ['-c', '50', '-d', String(seconds), '--json']
for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`)
// Where taskset is, the load runs on core 1 (run this script with `taskset -c 0` to keep the app on core 0).
const cannon = [process.execPath, new URL('../node_modules/autocannon/autocannon.js', import.meta.url).pathname, ...args, url]
const pinned = spawnSync('taskset', ['-c', '1', 'true']).status === 0
const child = pinned ? spawn('taskset', ['-c', '1', ...cannon], { stdio: ['ignore', 'pipe', 'ignore'] }) : spawn(cannon[0], cannon.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] })
let out = ''
child.stdout.on('data', chunk => { out += chunk })
await new Promise(resolve => child.on('exit', resolve))
const { profile } = await session.post('Profiler.stop')
await app.close()
await pool.close()

const result = JSON.parse(out)
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(new URL(`./results/${mode}.cpuprofile`, import.meta.url), JSON.stringify(profile))
const self = new Map()
const dt = profile.timeDeltas
const byId = new Map(profile.nodes.map(n => [n.id, n]))
const counts = new Map()
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
let total = 0
for (const [id, n] of counts) {
  const node = byId.get(id)
  const { functionName, url: file, lineNumber } = node.callFrame
  const key = `${functionName || '(anonymous)'} ${file.split('/').slice(-2).join('/')}:${lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + n)
  total += n
}
console.log(`${mode}: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx; ${dt.length} samples`)
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(100 * n / total).toFixed(1).padStart(5)} %  ${key}`)
