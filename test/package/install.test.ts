/**
 * The published package, as a user gets it: `npm pack` (with its `prepack` build) into a temporary
 * directory, the tarball installed into a temporary project with npm, and that project using it from
 * ESM, from CommonJS (`require(esm)`, Node 20.19+) and from a strict NodeNext TypeScript file, first
 * without the optional peer oidc-provider (the one-line "what to install" error) and then with it.
 *
 * The package is packed from a copy of this checkout (its own `node_modules` linked in), so the build
 * never touches this checkout's `dist/`. npm installs with `--prefer-offline`: the packages this
 * repository's `npm ci` put in npm's cache are taken from there, anything else from the registry.
 * Every subpath of package.json `exports` is covered, new ones included, without editing this test.
 */
import t from 'tap'
import { execFile, type ExecFileException } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  exports: Record<string, unknown>
  bin: Record<string, string>
}
/** What the tarball may hold besides `dist/`. */
const TOP_LEVEL_FILES = ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']
/** Not copied to the directory the package is packed from: dependencies, build output, test output. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'coverage', '.tap', 'test-output'])
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--no-update-notifier', '--loglevel=error']
const MISSING_PEER_MESSAGE = 'fastify-cognito/local needs oidc-provider: npm install --save-dev oidc-provider@9'

/** The import specifiers of every subpath export but package.json itself: `fastify-cognito`, `fastify-cognito/testing`... */
const SPECIFIERS = Object.keys(PACKAGE.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => subpath === '.' ? PACKAGE.name : `${PACKAGE.name}/${subpath.slice(2)}`)

// Packing, two npm installs and a type check: bounded as a whole, and each command on its own below.
t.setTimeout(240_000)

/** This process's environment without what tap and npm set for it (loaders, coverage, npm_config_*). */
function cleanEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|TAP|_TAPJS|NODE_OPTIONS$|NODE_V8_COVERAGE$)/i.test(key)) env[key] = value
  }
  return { ...env, ...extra }
}

interface Run { code: number, stdout: string, stderr: string }

/** Runs a command to its end (at most `timeout` ms); a non-zero exit is a result, not an exception. */
async function run (file: string, args: string[], cwd: string, { timeout = 60_000, env = {} }: { timeout?: number, env?: Record<string, string> } = {}): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(file, args, { cwd, env: cleanEnv(env), timeout, maxBuffer: 16 * 1024 * 1024, shell: process.platform === 'win32' }, (err: ExecFileException | null, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr: err !== null && err.killed ? `${stderr}\n(killed after ${timeout} ms)` : stderr })
    })
  })
}

/** Runs a command that must succeed, and says which and why when it does not. */
async function mustRun (file: string, args: string[], cwd: string, options?: { timeout?: number }): Promise<string> {
  const result = await run(file, args, cwd, options)
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`)
  return result.stdout
}

async function node (cwd: string, script: string, args: string[] = []): Promise<Run> {
  return await run(process.execPath, [script, ...args], cwd)
}

/** The consumer project's scripts; each prints one line of JSON last. */
const SCRIPTS: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      types: ['node'],
      noEmit: true
    },
    files: ['consumer.ts']
  }, null, 2),
  'esm.mjs': `import Fastify from 'fastify'
import fastifyCognito from 'fastify-cognito'
import { createTestPool } from 'fastify-cognito/testing'

const loaded = {}
for (const specifier of process.argv.slice(2)) loaded[specifier] = Object.keys(await import(specifier))
const pool = await createTestPool()
const app = Fastify()
await app.register(fastifyCognito, pool.pluginOptions())
app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito.username }))
const signedIn = await app.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'alice' })) })
const anonymous = await app.inject({ url: '/me' })
await app.close()
await pool.close()
console.log(JSON.stringify({ loaded, defaultExport: typeof fastifyCognito, signedIn: [signedIn.statusCode, signedIn.json()], anonymous: [anonymous.statusCode, anonymous.json().code] }))
`,
  'cjs.cjs': `const Fastify = require('fastify')

async function main () {
  const loaded = {}
  for (const specifier of process.argv.slice(2)) loaded[specifier] = Object.keys(require(specifier))
  const { createTestPool } = require('fastify-cognito/testing')
  const pool = await createTestPool()
  const app = Fastify()
  await app.register(require('fastify-cognito'), pool.pluginOptions())
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito.username }))
  const signedIn = await app.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'alice' })) })
  await app.close()
  await pool.close()
  console.log(JSON.stringify({ loaded, defaultExport: typeof require('fastify-cognito').default, signedIn: [signedIn.statusCode, signedIn.json()] }))
}
main()
`,
  'missing-peer.mjs': `const { startLocalCognito } = await import('fastify-cognito/local')
try {
  const local = await startLocalCognito({ port: 0 })
  await local.close()
  console.log(JSON.stringify({ imported: true, started: true }))
} catch (err) {
  console.log(JSON.stringify({ imported: true, code: err.code, message: err.message }))
}
`,
  'local.mjs': `import { startLocalCognito } from 'fastify-cognito/local'

const local = await startLocalCognito({ port: 0 })
const res = await fetch(local.issuer + '/.well-known/openid-configuration')
const discovery = await res.json()
await local.close()
console.log(JSON.stringify({ url: local.url, issuer: local.issuer, discovery: [res.status, discovery.issuer] }))
`
}

const npmVersion = await run('npm', ['--version'], ROOT, { timeout: 30_000 })
const skip = npmVersion.code === 0 ? false : `npm is needed to pack and install the package, and \`npm --version\` failed: ${npmVersion.stderr.trim()}`

t.test('the packed package, installed with npm, works from ESM, CommonJS and TypeScript', { skip }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fastify-cognito-pack-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  const source = join(tmp, 'source')
  const app = join(tmp, 'app')

  // Pack from a copy, so that the prepack build writes the copy's dist/ and not this checkout's.
  cpSync(ROOT, source, {
    recursive: true,
    filter: (path) => !relative(ROOT, path).split(sep).some((part) => NOT_COPIED.has(part))
  })
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'junction')
  const packed = JSON.parse(await mustRun('npm', ['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], source, { timeout: 150_000 })) as
    Array<{ filename: string, files: Array<{ path: string }> }>
  const tarball = join(tmp, packed[0]?.filename ?? 'no tarball')
  const files = packed[0]?.files.map((file) => file.path) ?? []

  t.test('the tarball holds dist/, README.md, LICENSE, CHANGELOG.md and package.json only', async (t) => {
    t.same(files.filter((path) => !path.startsWith('dist/')).sort(), TOP_LEVEL_FILES)
    t.same(files.filter((path) => path.startsWith('dist/') && !/\.(js|d\.ts)(\.map)?$/.test(path)), [], 'dist/ holds compiled code and declarations only')
    t.notOk(files.some((path) => /\.test\.|(^|\/)test\//.test(path)), 'no tests')
    const targets = [...JSON.stringify(PACKAGE.exports).matchAll(/"\.\/(dist\/[^"]+)"/g)].map((match) => match[1])
    for (const target of [...targets, ...Object.values(PACKAGE.bin).map((bin) => bin.slice(2))]) {
      t.ok(files.includes(target as string), `${target} (an exports or bin target) is in the tarball`)
    }
  })

  // A new project that installs the tarball; npm adds the required peer, fastify, but not the optional oidc-provider.
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }))
  await mustRun('npm', ['install', tarball, '@types/node@20', ...NPM_FLAGS], app, { timeout: 150_000 })
  for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(app, name), text)

  t.test('ESM: the default export and every subpath export', async (t) => {
    const result = await node(app, 'esm.mjs', SPECIFIERS)
    t.equal(result.code, 0, result.stderr)
    const out = lastLine(result)
    t.same(Object.keys(out.loaded), SPECIFIERS, 'every subpath export imports')
    for (const specifier of SPECIFIERS) t.ok((out.loaded[specifier] as string[]).length > 0, `${specifier} exports something`)
    t.equal(out.defaultExport, 'function', 'import fastifyCognito from \'fastify-cognito\'')
    t.same(out.signedIn, [200, { user: 'alice' }], 'a guarded route accepts a token of the test pool')
    t.same(out.anonymous, [401, 'FST_COGNITO_UNAUTHENTICATED'])
  })

  t.test('CommonJS: require() of every subpath export (require(esm), Node 20.19+)', async (t) => {
    const result = await node(app, 'cjs.cjs', SPECIFIERS)
    t.equal(result.code, 0, result.stderr)
    const out = lastLine(result)
    t.same(Object.keys(out.loaded), SPECIFIERS, 'every subpath export requires')
    t.equal(out.defaultExport, 'function', 'require(\'fastify-cognito\').default is the plugin')
    t.same(out.signedIn, [200, { user: 'alice' }], 'app.register(require(\'fastify-cognito\'), ...) works: Fastify takes the default export')
  })

  t.test('TypeScript: a strict NodeNext project type-checks against the shipped declarations', async (t) => {
    writeFileSync(join(app, 'consumer.ts'), typescriptConsumer(SPECIFIERS))
    const result = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], app, { timeout: 90_000 })
    t.equal(result.code, 0, `tsc --noEmit: ${result.stdout}${result.stderr}`)
  })

  t.test('without oidc-provider, fastify-cognito/local and its command say in one line what to install', async (t) => {
    t.notOk(existsSync(join(app, 'node_modules/oidc-provider')), 'npm did not install the optional peer')
    const result = await node(app, 'missing-peer.mjs')
    t.equal(result.code, 0, result.stderr)
    t.same(lastLine(result), { imported: true, code: 'FST_COGNITO_MISSING_PEER', message: MISSING_PEER_MESSAGE })

    const bin = await run(join(app, 'node_modules/.bin', Object.keys(PACKAGE.bin)[0] as string), [], app, { env: { PORT: '0' } })
    t.equal(bin.code, 1)
    t.equal(bin.stderr, 'fastify-cognito-local: the local Cognito stand-in needs oidc-provider: npm install --save-dev oidc-provider@9\n')
    t.equal(bin.stdout, '')
  })

  t.test('with oidc-provider installed, fastify-cognito/local starts the stand-in', async (t) => {
    await mustRun('npm', ['install', '--save-dev', 'oidc-provider@9', ...NPM_FLAGS], app, { timeout: 150_000 })
    const result = await node(app, 'local.mjs')
    t.equal(result.code, 0, result.stderr)
    const out = lastLine(result)
    t.match(out.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'on loopback, on a free port')
    t.same(out.discovery, [200, out.issuer], 'serves its discovery document')
  })
})

/** The JSON a consumer script printed last (oidc-provider may print a warning before it). */
function lastLine (result: Run): Record<string, unknown> & { loaded: Record<string, unknown> } {
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(line)
  } catch {
    throw new Error(`no JSON result; stdout: ${result.stdout}\nstderr: ${result.stderr}`)
  }
}

/** A strict TypeScript consumer: the plugin's options, decorators and augmentation, the kits, and every subpath export. */
function typescriptConsumer (specifiers: string[]): string {
  return `${specifiers.map((specifier, index) => `import * as subpath${index} from '${specifier}'`).join('\n')}
import Fastify from 'fastify'
import fastifyCognito, { isFastifyCognitoError, optionsFromEnv, UnauthenticatedError, type CognitoIdentity, type FastifyCognitoOptions } from 'fastify-cognito'
import { createTestPool, sessionCookies } from 'fastify-cognito/testing'
import { startLocalCognito, type LocalCognito } from 'fastify-cognito/local'

declare module 'fastify-cognito' {
  interface CognitoCustomClaims { 'custom:tenant'?: string }
}

export const subpaths: object[] = [${specifiers.map((_, index) => `subpath${index}`).join(', ')}]

export async function main (): Promise<void> {
  const pool = await createTestPool()
  const options: FastifyCognitoOptions = { ...pool.pluginOptions(), cookie: { sameSite: 'strict' } }
  const app = Fastify()
  await app.register(fastifyCognito, options)
  app.register(fastifyCognito, optionsFromEnv(process.env, { scopes: ['openid', 'email'] }))
  // @ts-expect-error a required option is missing
  app.register(fastifyCognito, { clientId: 'only-this' })

  app.get('/me', { preHandler: app.cognito.requireGroups(['admin']) }, async (request) => {
    const identity: CognitoIdentity | null = request.cognito
    const tenant: string | undefined = identity?.idToken?.['custom:tenant']
    // @ts-expect-error request.cognito is null on routes no guard protects
    const username: string = request.cognito.username
    return { username, tenant, groups: identity?.groups }
  })
  // @ts-expect-error app.cognito is typed, not any
  app.cognito.noSuchGuard()
  const logoutUrl: string = app.cognito.logoutUrl
  const known: boolean = isFastifyCognitoError(new UnauthenticatedError())
  const cookies: Record<string, string> = sessionCookies(app, await pool.mintTokens({ username: 'alice', groups: ['admin'] }))

  const local: LocalCognito = await startLocalCognito({ port: 0, refreshTokenRotation: true })
  const domain: string = local.domain
  await local.close()
  await app.close()
  await pool.close()
  console.log(logoutUrl, known, cookies, domain)
}
`
}
