/**
 * Two app processes sharing only the cookie secret, as behind a load balancer: a login through one, then
 * guarded requests, a refresh and a logout through the other. The plugin keeps no state a balancer would break.
 */
import t from 'tap'
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startLocalCognito } from '../../lib/local/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { appUris, localPluginOptions } from '../helpers/local-app.js'
import { login, UserAgent } from '../helpers/user-agent.js'
import type { Teardown } from '../helpers/teardown.js'

const CHILD = fileURLToPath(new URL('../helpers/app-process.ts', import.meta.url))

interface AppProcess { child: ChildProcess, base: string }

function next<T> (child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', message => resolve(message as T))
    child.once('exit', code => reject(new Error(`app process exited with ${code}`)))
  })
}

/** Forks an app process with this test process's loaders (TypeScript), and waits for its port. */
async function spawnApp (t: Teardown): Promise<{ child: ChildProcess, port: number }> {
  const child = fork(CHILD, { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  t.teardown(() => { if (child.connected) child.disconnect() })
  const { port } = await next<{ port: number }>(child)
  return { child, port }
}

async function configure (app: { child: ChildProcess }, options: FastifyCognitoOptions): Promise<void> {
  const ready = next<{ ready: boolean }>(app.child)
  app.child.send({ options })
  await ready
}

t.test('a session started in one app process is served, refreshed and ended by another that shares only the secret', async t => {
  const a = await spawnApp(t)
  const b = await spawnApp(t)
  // Both processes serve one public origin (the balancer's); the test reaches each by its own port.
  const publicBase = `http://localhost:${a.port}`
  const local = await startLocalCognito(appUris(publicBase))
  t.teardown(() => local.close())
  const options = localPluginOptions(local, publicBase, 'the-one-secret-the-two-processes-share')
  await configure(a, options)
  await configure(b, options)
  const procs: AppProcess[] = [{ child: a.child, base: publicBase }, { child: b.child, base: `http://localhost:${b.port}` }]

  // Log in through A.
  const ua = new UserAgent()
  const onA = JSON.parse((await login(ua, procs[0]!.base, 'alice')).body)
  t.equal(onA.username, 'alice')
  t.equal(onA.pid, a.child.pid, 'the login ended on process A')

  // The same browser, balanced to B: copy the session cookies to B's host (one origin in production).
  const hostA = new URL(procs[0]!.base).host
  const hostB = new URL(procs[1]!.base).host
  const copyToB = (): void => { ua.cookies(hostB).copyFrom(ua.cookies(hostA)) }
  copyToB()
  const onB = JSON.parse((await ua.fetch(`${procs[1]!.base}/me`, { headers: { accept: 'application/json' } })).body)
  t.equal(onB.username, 'alice', 'B accepts the session A sealed')
  t.equal(onB.pid, b.child.pid)

  const refreshed = await ua.fetch(`${procs[1]!.base}/refresh`, { method: 'POST', headers: { accept: 'application/json', origin: publicBase } })
  t.equal(refreshed.status, 200, 'B refreshes the session A started')
  t.equal(local.stats.refreshTokenGrants, 1)
  ua.cookies(hostA).copyFrom(ua.cookies(hostB))
  const backOnA = JSON.parse((await ua.fetch(`${procs[0]!.base}/me`, { headers: { accept: 'application/json' } })).body)
  t.not(backOnA.jti, onA.jti, 'A serves the access token B renewed')

  const logout = await ua.fetch(`${procs[1]!.base}/logout`)
  t.equal(logout.status, 302, 'B logs out the session')
  t.equal(local.stats.revocations, 1, 'the refresh token A obtained was revoked by B')
})
