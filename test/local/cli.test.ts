import t from 'tap'
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { DEFAULT_CLI_PORT, isEntryPoint, main, optionsFromEnv, type CliIo } from '../../lib/local/cli.js'
import { sleep } from '../helpers/sleep.js'

const cliPath = fileURLToPath(new URL('../../lib/local/cli.ts', import.meta.url))

function fakeIo (env: CliIo['env']): CliIo & { output: () => string, signals: EventEmitter } {
  let output = ''
  const signals = new EventEmitter()
  return { env, stdout: { write: (text: string) => { output += text } }, signals, output: () => output }
}

t.test('main starts the stand-in from HOST and PORT and prints URLs, clients, users and passwords', async (t) => {
  const io = fakeIo({ HOST: '127.0.0.1', PORT: '0' })
  const local = await main(io)
  t.teardown(() => local.close())
  const text = io.output()
  t.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  for (const expected of [
    `domain (hosted UI)  ${local.url}`,
    `issuer              ${local.issuer}`,
    'user pool id        us-east-1_LocalPool (region us-east-1)',
    `${local.issuer}/.well-known/jwks.json`,
    `${local.issuer}/.well-known/openid-configuration`,
    'local-confidential-client  secret local-confidential-secret-change-me',
    'local-public-client  (public, no secret)',
    'local-machine-client  secret local-machine-secret-change-me',
    'client credentials (machine to machine), scopes  orders/read orders/write',
    'callback URLs  http://localhost:3000/postlogin',
    'sign-out URLs  http://localhost:3000/postlogout',
    'alice / Passw0rd!  alice@example.com  groups admin, editor',
    'bob / Passw0rd!  bob@example.com\n'
  ]) t.match(text, expected)
  const res = await request(`${local.issuer}/.well-known/openid-configuration`)
  await res.body.dump()
  t.equal(res.statusCode, 200, 'it is really listening')
})

t.test('SIGTERM or SIGINT stops it', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const io = fakeIo({ PORT: '0' })
    const local = await main(io)
    t.equal(io.signals.listenerCount(signal), 1)
    io.signals.emit(signal)
    t.equal(io.signals.listenerCount('SIGINT') + io.signals.listenerCount('SIGTERM'), 0, 'both handlers removed')
    await local.close()
    await new Promise((resolve) => setImmediate(resolve))
    t.match(io.output(), /Stopped\.\n$/, signal)
  }
})

t.test('the environment sets pool id, callback and sign-out URLs and rotation', async (t) => {
  t.same(optionsFromEnv({}), { host: '127.0.0.1', port: DEFAULT_CLI_PORT, refreshTokenRotation: false })
  t.same(optionsFromEnv({
    PORT: '8080',
    USER_POOL_ID: 'eu-west-1_Dev',
    REDIRECT_URIS: 'http://localhost:3000/cb, http://localhost:5173/cb,',
    LOGOUT_URIS: 'http://localhost:3000/',
    REFRESH_TOKEN_ROTATION: 'true'
  }), {
    host: '127.0.0.1',
    port: 8080,
    userPoolId: 'eu-west-1_Dev',
    redirectUris: ['http://localhost:3000/cb', 'http://localhost:5173/cb'],
    logoutUris: ['http://localhost:3000/'],
    refreshTokenRotation: true
  })
  t.throws(() => optionsFromEnv({ PORT: 'eighty' }), /PORT must be a port number, got "eighty"/)

  const io = fakeIo({ PORT: '0', REFRESH_TOKEN_ROTATION: 'true' })
  const local = await main(io)
  t.teardown(() => local.close())
  t.match(io.output(), 'refresh token rotation on')
})

t.test('isEntryPoint recognises the script node runs, through links too', async (t) => {
  const moduleUrl = new URL('../../lib/local/cli.ts', import.meta.url).href
  t.equal(isEntryPoint(moduleUrl, cliPath), true)
  t.equal(isEntryPoint(moduleUrl, fileURLToPath(import.meta.url)), false)
  t.equal(isEntryPoint(moduleUrl, undefined), false, 'no script (REPL)')
  t.equal(isEntryPoint(moduleUrl, '/no/such/file'), false)
})

function run (env: Record<string, string>): { child: ReturnType<typeof spawn>, output: () => string, exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...process.execArgv, cliPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => { output += String(chunk) })
  child.stderr.on('data', (chunk) => { output += String(chunk) })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exit }
}

t.test('the bin runs until SIGTERM', async (t) => {
  const { child, output, exit } = run({ HOST: '127.0.0.1', PORT: '0' })
  const started = Date.now()
  while (!output().includes('Press Ctrl+C to stop.') && Date.now() - started < 30_000) {
    await sleep(50)
  }
  const domain = /domain \(hosted UI\) {2}(\S+)/.exec(output())?.[1]
  t.match(domain, /^http:\/\/127\.0\.0\.1:\d+$/)
  const res = await request(`${domain}/us-east-1_LocalPool/.well-known/jwks.json`)
  await res.body.dump()
  t.equal(res.statusCode, 200)
  child.kill('SIGTERM')
  t.equal(await exit, 0, 'exits cleanly: nothing left open')
  t.match(output(), 'Stopped.')
})

t.test('the bin reports a bad environment and exits with 1', async (t) => {
  const { output, exit } = run({ PORT: 'x' })
  t.equal(await exit, 1)
  t.match(output(), 'fastify-cognito-local: PORT must be a port number')
})
