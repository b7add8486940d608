// The load generator: autocannon's programmatic API in a process of its own (run.js starts it with
// `taskset -c 1` where it can), so that it never competes with the server under test for a core.
//
// Messages from run.js:
//   { type: 'pools', pools: { name: [header values] } }   once: the users' header values
//   { type: 'run', id, url, duration, connections, header }
// where header is null (no credentials) or { name, pool, per }:
//   per: 'connection'  each connection sends one value for its whole life: connection i is user i.
//                      Done with autocannon's `setupClient`, which is called once per connection with
//                      its Client, on which `setHeaders` replaces that connection's headers.
//   per: 'request'     every request takes the next value of the pool, shared by all connections
//                      (a `requests` entry with a `setupRequest`, which autocannon calls before each
//                      request when it is a function). The cold-token variant uses this.
// Answers { type: 'result', id, ... } with its own latency percentiles: autocannon's histogram holds
// whole milliseconds, too coarse for a loopback round trip, so every 2xx response time (a float, in ms,
// from autocannon's 'response' event) is kept in a preallocated buffer and sorted once at the end.
import autocannon from 'autocannon'

const pools = new Map()
/** Where each pool's turn is: kept across runs, so the cold pool goes on in turn instead of starting over. */
const positions = new Map()
/** Room for this many response times per run (8 bytes each); beyond it, times are no longer kept. */
const MAX_SAMPLES = 4_000_000

function percentile (sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]
}

function run ({ url, duration, connections, header }) {
  const options = { url, duration, connections, timeout: 10 }
  if (header !== null) {
    const values = pools.get(header.pool)
    if (values === undefined || values.length === 0) throw new Error(`no header pool ${header.pool}`)
    if (header.per === 'connection') {
      // Connection i is user i in every run.
      let next = 0
      options.setupClient = client => client.setHeaders({ [header.name]: values[next++ % values.length] })
    } else {
      let next = positions.get(header.pool) ?? 0
      options.requests = [{
        setupRequest: (request) => {
          request.headers = { ...request.headers, [header.name]: values[next++ % values.length] }
          positions.set(header.pool, next)
          return request
        }
      }]
    }
  }
  const samples = new Float64Array(Math.min(MAX_SAMPLES, Math.ceil(duration * 200_000)))
  let kept = 0
  let ok = 0
  let other = 0
  const statuses = {}
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (err, result) => {
      if (err) return reject(err)
      const sorted = samples.subarray(0, kept).sort()
      resolve({
        ok,
        other,
        statuses,
        errors: result.errors,
        timeouts: result.timeouts,
        seconds: result.duration,
        rps: ok / result.duration,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        latencySamples: kept
      })
    })
    instance.on('response', (client, statusCode, bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++
        if (kept < samples.length) samples[kept++] = responseTime
      } else {
        other++
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
      }
    })
  })
}

process.on('message', async (message) => {
  if (message.type === 'pools') {
    for (const [name, values] of Object.entries(message.pools)) pools.set(name, values)
    process.send({ type: 'ready' })
  } else if (message.type === 'run') {
    try {
      process.send({ type: 'result', id: message.id, ...await run(message) })
    } catch (err) {
      process.send({ type: 'result', id: message.id, error: err.stack ?? String(err) })
    }
  }
})
process.once('disconnect', () => process.exit(0))
