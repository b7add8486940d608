import t from 'tap'
import Fastify from 'fastify'
import fastifyCookie from '@fastify/cookie'
import { checkCookies, checkHttps, checkOptions, checkSecret, COGNITO_TOKEN_SIZES, resolveFromEnv } from '../../lib/doctor/checks.js'
import { cookieSyntax } from '../../lib/session/cookie-io.js'
import { runDoctor } from '../../lib/doctor/doctor.js'
import { printable } from '../../lib/doctor/report.js'
import type { ResolvedConfig } from '../../lib/options.js'
import { environment, SECRET_KEY } from './fake-cognito.js'

const ENV = environment({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool', domain: 'https://app.auth.eu-west-1.amazoncognito.com' })
const HTTPS_ENV = { ...ENV, AWS_COGNITO_REDIRECT_URL: 'https://app.example.com/postlogin', AWS_COGNITO_LOGOUT_URL: 'https://app.example.com/' }

function configOf (env: Record<string, string>): ResolvedConfig {
  const { config, error } = resolveFromEnv(env)
  if (config === undefined || error !== undefined) throw new Error(`invalid test environment: ${error}`)
  return config
}

t.test('a short secret fails, under 48 warns, and only the length is printed', async (t) => {
  t.same(checkSecret({}), { name: 'secret', status: 'fail', found: 'SECRET_KEY is not set', fix: 'set SECRET_KEY to 48 or more random characters, e.g. the output of `openssl rand -base64 48`' })
  t.same(checkSecret({ SECRET_KEY: '' }).found, 'SECRET_KEY is not set')
  const short = checkSecret({ SECRET_KEY: 'hunter2-hunter2' })
  t.same([short.status, short.found], ['fail', 'SECRET_KEY is 15 bytes long, under the 32 the plugin requires'])
  const medium = checkSecret({ SECRET_KEY: 'm'.repeat(40) })
  t.same([medium.status, medium.found], ['warn', 'SECRET_KEY is 40 bytes long: accepted, but under 48'])
  t.same(checkSecret({ SECRET_KEY }), { name: 'secret', status: 'ok', found: `SECRET_KEY is ${SECRET_KEY.length} bytes long` })

  const report = await runDoctor({ ...ENV, SECRET_KEY: 'hunter2-hunter2', AWS_COGNITO_DOMAIN: 'ftp://nowhere' })
  t.equal(report.ok, false)
  t.notMatch(JSON.stringify(report), 'hunter2')
})

t.test('the https check: plain http only for localhost, and every URL set', async (t) => {
  t.same(checkHttps(HTTPS_ENV), { name: 'https', status: 'ok', found: 'redirect URI https, logout URI https' })
  t.same(checkHttps({ ...ENV, AWS_COGNITO_LOGOUT_URL: 'http://[::1]:3000/' }).found, 'redirect URI http on localhost (development only), logout URI http on [::1] (development only)')
  const plain = checkHttps({ ...HTTPS_ENV, AWS_COGNITO_REDIRECT_URL: 'http://app.example.com/postlogin' })
  t.equal(plain.status, 'fail')
  t.equal(plain.found, 'redirect URI http://app.example.com is http on a host other than localhost')
  t.equal(plain.fix, 'set AWS_COGNITO_REDIRECT_URL and AWS_COGNITO_LOGOUT_URL to https:// URLs registered on the app client (Cognito takes plain http only for localhost)')
  t.equal(checkHttps({ AWS_COGNITO_REDIRECT_URL: 'postlogin', AWS_COGNITO_LOGOUT_URL: 'ftp://app.example.com/' }).found,
    'AWS_COGNITO_REDIRECT_URL is not an absolute URL; logout URI ftp://app.example.com is ftp on a host other than localhost')
  t.equal(checkHttps({}).found, 'AWS_COGNITO_REDIRECT_URL is not set; AWS_COGNITO_LOGOUT_URL is not set')

  const report = await runDoctor({ ...HTTPS_ENV, AWS_COGNITO_LOGOUT_URL: 'http://app.example.com/' })
  t.same(report.checks.map(check => `${check.name} ${check.status}`), [
    'options fail', 'discovery skip', 'jwks skip', 'authorize skip', 'secret ok', 'cookies skip', 'clock skip', 'https fail'
  ])
  t.equal(report.checks[0]?.found, 'logoutUri must use https (plain http is only allowed for localhost)')
  t.equal(report.checks[0]?.fix, 'set AWS_COGNITO_LOGOUT_URL as the message says (README, "Options")')
  t.equal(report.checks[1]?.found, 'not run: the options are invalid')
})

t.test('the options check names the environment variable to change', async (t) => {
  const missing = checkOptions(resolveFromEnv({ ...ENV, AWS_COGNITO_USER_POOL_CLIENT_ID: '' }))
  t.same([missing.status, missing.found, missing.fix], ['fail', 'clientId is required and must be a non-empty string', 'set AWS_COGNITO_USER_POOL_CLIENT_ID as the message says (README, "Options")'])
  const flag = resolveFromEnv({ ...ENV, AWS_COGNITO_DISABLED: 'maybe' })
  t.equal(flag.config, undefined)
  t.equal(checkOptions(flag).found, 'AWS_COGNITO_DISABLED must be true or false (got "maybe")')
  t.equal(checkOptions(flag).fix, 'set AWS_COGNITO_DISABLED as the message says (README, "Options")')
  t.equal(checkOptions({ config: undefined, error: '"odd" message' }).fix, 'correct the option named (README, "Options")')

  const secretOnly = resolveFromEnv({ ...ENV, SECRET_KEY: 'short' })
  t.equal(secretOnly.error, 'secret must be at least 32 characters long')
  t.ok(secretOnly.config, 'the other checks still get a configuration')
  t.match(checkOptions(resolveFromEnv(ENV)).found, 'valid: pool eu-west-1_Pool, client fake-client (public client), domain https://app.auth.eu-west-1.amazoncognito.com')
})

t.test('the plugin serializes cookies as @fastify/cookie does', async (t) => {
  const { serialize } = await cookieSyntax()
  const app = Fastify()
  await app.register(fastifyCookie)
  t.teardown(() => app.close())
  for (const options of [
    { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 3600 },
    { httpOnly: true, secure: false, sameSite: 'strict', path: '/', maxAge: 86400, domain: '.example.com' },
    { httpOnly: true, secure: true, sameSite: 'none', path: '/', maxAge: 60 }
  ] as const) {
    t.equal(serialize('__Host-cognito_id.8', 'a.b-c_d', options), app.serializeCookie('__Host-cognito_id.8', 'a.b-c_d', options))
  }
})

t.test('the cookie budget: sealed with the codec, laid out with the configured names and attributes', async (t) => {
  const check = await checkCookies(configOf(HTTPS_ENV))
  t.equal(check.status, 'ok')
  t.match(check.found, /^a session's Cookie header is \d{4} bytes \(\d{5} with a 6000-byte ID token, in 3 cookie\(s\)\)$/)
  const typical = Number(/is (\d+) bytes/.exec(check.found)?.[1])
  t.ok(typical > 4700 && typical < 8192, `${typical} bytes: Cognito's three tokens, sealed`)

  const noRefresh = await checkCookies(configOf({ ...HTTPS_ENV, AWS_COGNITO_REFRESH_FLOW_ENABLED: 'false', AWS_COGNITO_COOKIE_DOMAIN: 'example.com' }))
  t.ok(Number(/is (\d+) bytes/.exec(noRefresh.found)?.[1]) < typical - 2000, 'no refresh cookie without the refresh flow')

  const larger = { typical: { access: 2000, id: 3000, refresh: 1850 }, largest: COGNITO_TOKEN_SIZES.largest }
  const warned = await checkCookies(configOf(HTTPS_ENV), larger)
  t.equal(warned.status, 'warn')
  t.match(warned.found, /above the 8 kB many proxies allow$/)
  t.match(warned.fix, 'AWS_COGNITO_REFRESH_FLOW_ENABLED=false')

  const huge = { typical: COGNITO_TOKEN_SIZES.typical, largest: { access: 1100, id: 40_000, refresh: 1850 } }
  const failed = await checkCookies(configOf(HTTPS_ENV), huge)
  t.equal(failed.status, 'fail')
  t.equal(failed.found, 'Cognito\'s largest tokens (a 40000-byte ID token) do not fit in 9 cookies of 4096 bytes: such logins fail with FST_COGNITO_TOKEN_TOO_LARGE')
})

t.test('text from the network is printed on one line, printable and at most 200 characters', async (t) => {
  t.equal(printable('a\u001b[31mb\nc'), 'a?[31mb?c')
  t.equal(printable('x'.repeat(250)), `${'x'.repeat(200)}...`)
  t.equal(printable(42), '42')
  t.equal(printable(undefined), 'nothing')
})
