import t from 'tap'
import { connect } from 'node:net'
import { Agent, request } from 'undici'
import { startLocalCognito } from '../../lib/local/index.js'

async function refused (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(true))
  })
}

t.test('close() stops listening, drops kept-alive connections, and can be called twice', async (t) => {
  const local = await startLocalCognito()
  const agent = new Agent({ keepAliveTimeout: 60_000 })
  t.teardown(() => agent.close())
  const res = await request(`${local.issuer}/.well-known/jwks.json`, { dispatcher: agent })
  await res.body.dump()
  t.equal(res.statusCode, 200, 'a kept-alive connection is open')
  await local.close()
  t.ok(await refused(local.url), 'the port is closed')
  await local.close()
  t.pass('a second close resolves')
})

t.test('a port already in use rejects the start', async (t) => {
  const first = await startLocalCognito()
  t.teardown(() => first.close())
  const port = Number(new URL(first.url).port)
  await t.rejects(startLocalCognito({ port }), { code: 'EADDRINUSE' })
})
