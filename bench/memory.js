// Memory under a stream of distinct credentials: resident memory (RSS) while the guards see about a
// million credentials they have never seen, which must stay within 50 MB of where it started and flat.
// Run by `npm run bench` (BENCH_MEMORY=0 skips it) or alone: `node --expose-gc bench/memory.js` (after
// `npm run build`); BENCH_QUICK=1 runs a tenth of it, BENCH_MEMORY_ONLY=forged one kind of credential.
//
// What the guard is given, in turn, through its public API on request objects (no HTTP, so that the
// process holds nothing but the app and its caches):
// - bearer tokens from a pool of BEARER_POOL validly signed ones, far more than the verified-token cache
//   holds (1,000), each sent twice in a row: the first request misses and verifies (RS256), the second
//   verifies it again and caches it (a bearer token is cached when seen twice), evicting another,
//   exactly as with distinct tokens (minting a million RS256 tokens would take most of an hour);
// - session cookies, each set sealed afresh: a million distinct sealed values through the codec's
//   memory of opened cookies (1,000);
// - forged bearer tokens, each distinct (a payload the signature does not match): verified and refused.
// RSS is read after a warm-up and then every CHUNK requests, each time after a full garbage collection
// (`--expose-gc`, which `npm run bench` passes; without it the readings include garbage not yet
// collected, and the output says so): what the process keeps, not how much garbage it has made.
// "flat" compares the second half's end with its start.
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import fastifyCognito from '../dist/index.js'
import { createTestPool, sessionCookieHeader } from '../dist/testing/index.js'

const QUICK = process.env.BENCH_QUICK === '1'
const TOTAL = QUICK ? 100_000 : 1_000_000
const CHUNK = TOTAL / 20
const BEARER_POOL = 5000
// BENCH_MEMORY_ONLY=bearer|cookie|forged: one kind of credential only, to see which one moves the RSS.
const ONLY = { bearer: 0, cookie: 2, forged: 4 }[process.env.BENCH_MEMORY_ONLY ?? '']
if (process.env.BENCH_MEMORY_ONLY !== undefined && ONLY === undefined) throw new Error('BENCH_MEMORY_ONLY: bearer, cookie or forged')
const MB = 1024 * 1024

export async function measureMemory () {
  const pool = await createTestPool()
  const app = Fastify({ logger: false })
  await app.register(fastifyCognito, { ...pool.pluginOptions(), redirectToLogin: false })
  await app.ready()
  const guard = app.cognito.requireGroups(['admin'])
  const minted = []
  for (let i = 0; i < BEARER_POOL; i += 100) {
    minted.push(...await Promise.all(Array.from({ length: 100 }, (_, k) => pool.mintTokens({ username: `user${i + k}`, groups: ['admin'] }))))
  }
  const refreshToken = () => `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${randomBytes(1360).toString('base64url')}`
  const [header, payload, signature] = minted[0].accessToken.split('.')
  const reply = { header () { return this }, getHeader () { return undefined }, removeHeader () { return this }, redirect () { return this } }
  const request = (headers) => ({ headers, cognito: null, cookies: undefined, method: 'GET', url: '/page', log: app.log })

  let refused = 0
  let allowed = 0
  async function one (i) {
    const kind = ONLY === undefined ? i % 5 : ONLY
    let headers
    if (kind < 2) headers = { authorization: `Bearer ${minted[Math.floor(i / 5) % BEARER_POOL].accessToken}` }
    else if (kind < 4) headers = { cookie: sessionCookieHeader(app, { ...minted[(i * 7) % BEARER_POOL], refreshToken: refreshToken() }) }
    else headers = { authorization: `Bearer ${header}.${payload.slice(0, -8)}${randomBytes(6).toString('base64url')}.${signature}` }
    try {
      await guard.call(app, request(headers), reply)
      allowed++
    } catch {
      refused++
    }
  }

  for (let i = 0; i < 20_000; i++) await one(i)
  const samples = []
  const heap = []
  const usages = []
  const rss = () => {
    globalThis.gc?.()
    const usage = process.memoryUsage()
    heap.push(usage.heapUsed / MB)
    usages.push(usage)
    return usage.rss / MB
  }
  // The warm-up's and the minting's garbage collected, and its pages given back, before the start.
  rss()
  await new Promise(resolve => setTimeout(resolve, 200))
  const startRss = rss()
  for (let i = 0; i < TOTAL; i++) {
    await one(i)
    if ((i + 1) % CHUNK === 0) samples.push(rss())
  }
  await app.close()
  await pool.close()
  const half = samples[Math.floor(samples.length / 2) - 1]
  // Where the RSS at its highest went, against the start: V8's heap as reserved (not only in use),
  // memory outside the heap that V8 knows of (Buffers), and the rest (native allocations V8 does not
  // count, kept by the allocator once freed).
  const start = usages[1]
  const top = usages[2 + samples.indexOf(Math.max(...samples))]
  const split = {
    v8HeapMb: (top.heapTotal - start.heapTotal) / MB,
    externalMb: (top.external - start.external) / MB,
    otherMb: ((top.rss - top.heapTotal - top.external) - (start.rss - start.heapTotal - start.external)) / MB
  }
  return {
    split,
    requests: TOTAL,
    allowed,
    refused,
    startMb: startRss,
    maxMb: Math.max(...samples),
    endMb: samples.at(-1),
    growthMb: Math.max(...samples) - startRss,
    // The JS heap in use after each full collection: what the caches keep, apart from memory the
    // process holds without using it.
    heapStartMb: heap[1],
    heapGrowthMb: Math.max(...heap.slice(2)) - heap[1],
    secondHalfMb: samples.at(-1) - half,
    collected: typeof globalThis.gc === 'function',
    samplesMb: samples.map(v => Math.round(v))
  }
}

if (process.send !== undefined) {
  process.send(await measureMemory().catch(err => ({ error: err.message })))
  process.disconnect()
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await measureMemory()
  console.log(`memory over ${r.requests.toLocaleString('en')} distinct credentials (${r.allowed} allowed, ${r.refused} refused): RSS ${r.startMb.toFixed(1)} MB at the start, at most ${r.maxMb.toFixed(1)} MB (+${r.growthMb.toFixed(1)}), ${r.endMb.toFixed(1)} MB at the end; second half ${r.secondHalfMb >= 0 ? '+' : ''}${r.secondHalfMb.toFixed(1)} MB`)
  console.log(`samples (MB): ${r.samplesMb.join(' ')}${r.collected ? '' : ' (without --expose-gc: the readings include uncollected garbage)'}`)
  console.log(`JS heap in use after a full collection: ${r.heapStartMb.toFixed(1)} MB at the start, at most ${r.heapGrowthMb >= 0 ? '+' : ''}${r.heapGrowthMb.toFixed(1)} MB`)
  console.log(`the RSS at its highest, against the start: V8 heap reserved ${r.split.v8HeapMb.toFixed(1)} MB, Buffers ${r.split.externalMb.toFixed(1)} MB, other native ${r.split.otherMb.toFixed(1)} MB`)
}
