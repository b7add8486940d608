import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { main, USAGE, type CliIo } from '../../lib/doctor/cli.js'
import { environment, startFakeCognito } from './fake-cognito.js'

const cliPath = fileURLToPath(new URL('../../lib/doctor/cli.ts', import.meta.url))

function fakeIo (argv: string[], env: CliIo['env'] = {}): CliIo & { out: () => string, err: () => string } {
  let out = ''
  let err = ''
  return { argv, env, stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } }, out: () => out, err: () => err }
}

t.test('help prints the usage on stdout and exits 0', async (t) => {
  for (const argv of [['help'], ['--help'], ['-h']]) {
    const io = fakeIo(argv)
    t.equal(await main(io), 0)
    t.equal(io.out(), USAGE)
    t.equal(io.err(), '')
  }
  t.match(USAGE, 'doctor [--json]')
})

t.test('an unknown or missing command: usage on stderr, exit 2', async (t) => {
  const unknown = fakeIo(['docter'])
  t.equal(await main(unknown), 2)
  t.equal(unknown.err(), `fastify-cognito: unknown command "docter"\n\n${USAGE}`)
  t.equal(unknown.out(), '')
  const none = fakeIo([])
  t.equal(await main(none), 2)
  t.match(none.err(), /^fastify-cognito: a command is required\n\nUsage:/)
  const argument = fakeIo(['doctor', '--jsn'])
  t.equal(await main(argument), 2)
  t.match(argument.err(), /^fastify-cognito doctor: unknown argument "--jsn"\n\nUsage:/)
})

t.test('doctor --json: the report as JSON, exit 1 when a check fails', async (t) => {
  const io = fakeIo(['doctor', '--json'], {})
  t.equal(await main(io), 1)
  const report = JSON.parse(io.out())
  t.equal(report.ok, false)
  t.same(report.checks[0], { name: 'options', status: 'fail', found: 'userPoolId is required and must be a non-empty string', fix: 'set AWS_COGNITO_USER_POOL_ID as the message says (README, "Options")' })
})

t.test('doctor: warnings alone exit 0', async (t) => {
  const fake = await startFakeCognito(t)
  const io = fakeIo(['doctor'], { ...fake.env, SECRET_KEY: 'w'.repeat(40) })
  t.equal(await main(io), 0)
  t.match(io.out(), /^warn {2}secret {5}SECRET_KEY is 40 bytes long: accepted, but under 48 -- fix: set SECRET_KEY to 48 or more/m)
  t.match(io.out(), /^ok: 7 ok, 1 warning\(s\), 0 failed, 0 skipped\n$/m)
})

function run (args: string[], env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  // tap's own variables (coverage, the TypeScript loader) pass on; the machine's AWS_* and SECRET_KEY do not.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'SECRET_KEY'))
  const child = spawn(process.execPath, [...process.execArgv, cliPath, ...args], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  return new Promise(resolve => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

t.test('the bin runs the doctor and sets the exit code', async (t) => {
  const fake = await startFakeCognito(t)
  const good = await run(['doctor'], fake.env)
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /^ok: 8 ok, 0 warning\(s\), 0 failed, 0 skipped$/m)

  const withSecret = await run(['doctor'], environment({ issuer: fake.issuer, domain: fake.url, clientSecret: 'do-not-print-me' }))
  t.equal(withSecret.code, 0)
  t.notMatch(withSecret.stdout, 'do-not-print-me')

  const usage = await run(['frobnicate'], {})
  t.equal(usage.code, 2)
  t.match(usage.stderr, 'fastify-cognito: unknown command "frobnicate"')
})
