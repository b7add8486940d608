/**
 * Two app processes sharing Redis and the secret, Cognito (the local stand-in) rotating refresh tokens
 * with no grace period: an expired session hit concurrently on both renews with one grant, every
 * request succeeds, and no cookie is cleared.
 */
import t from 'tap'
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startLocalCognito } from '../../lib/local/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { appUris, localPluginOptions } from '../helpers/local-app.js'
import { startRedis } from '../helpers/redis.js'
import { login, UserAgent } from '../helpers/user-agent.js'
import type { Teardown } from '../helpers/teardown.js'

const CHILD = fileURLToPath(new URL('../helpers/app-process.ts', import.meta.url))

function next<T> (child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', message => resolve(message as T))
    child.once('exit', code => reject(new Error(`app process exited with ${code}`)))
  })
}

async function spawnApp (t: Teardown): Promise<{ child: ChildProcess, port: number }> {
  const child = fork(CHILD, { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.teardown(async () => {
    if (!child.connected) return
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.disconnect()
    await exited
  })
  const { port } = await next<{ port: number }>(child)
  return { child, port }
}

t.test('an expired session hit on two processes at once: one grant, every request 200, no cookie cleared', async t => {
  const redis = await startRedis(t)
  const a = await spawnApp(t)
  const b = await spawnApp(t)
  const publicBase = `http://localhost:${a.port}`
  const local = await startLocalCognito({ ...appUris(publicBase), refreshTokenRotation: true, rotationGracePeriod: 0, accessTokenTtl: 2 })
  t.teardown(() => local.close())
  const options: FastifyCognitoOptions = { ...localPluginOptions(local, publicBase, 'the-one-secret-the-two-processes-share'), leeway: 0 }
  for (const app of [a, b]) {
    const ready = next<{ ready: boolean }>(app.child)
    app.child.send({ options, redis: redis.port })
    await ready
  }
  const ua = new UserAgent()
  const me = JSON.parse((await login(ua, publicBase, 'alice')).body)
  t.equal(me.username, 'alice')
  const hostA = new URL(publicBase).host
  const baseB = `http://localhost:${b.port}`
  ua.cookies(new URL(baseB).host).copyFrom(ua.cookies(hostA))
  const cookieNames = ua.cookiesSet.map(c => c.name).filter(name => name.startsWith('cognito_') && !name.endsWith('_tx'))
  t.same([...new Set(cookieNames)], ['cognito_session'], 'the browser holds only the session-id cookie')
  t.equal(JSON.parse((await ua.fetch(`${baseB}/me`, { headers: { accept: 'application/json' } })).body).username, 'alice', 'B serves the session A started')

  await new Promise(resolve => setTimeout(resolve, 2100))
  const setBefore = ua.setCookieHeaders.length
  const requests = [publicBase, baseB].flatMap(base => [1, 2, 3, 4].map(() => ua.fetch(`${base}/me`, { headers: { accept: 'application/json' } })))
  const answers = await Promise.all(requests)
  t.same(answers.map(r => r.status), answers.map(() => 200), 'all 8 succeed')
  t.equal(local.stats.refreshTokenGrants, 1, 'Cognito saw one refresh grant')
  t.same(ua.setCookieHeaders.slice(setBefore), [], 'no cookie set or cleared')
  t.equal(new Set(answers.map(r => JSON.parse(r.body).jti)).size, 1, 'one renewed access token everywhere')
  t.same(new Set(answers.map(r => JSON.parse(r.body).pid)).size, 2, 'both processes answered')
})
