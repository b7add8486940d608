// Type tests of fastify-cognito/bff: the plugin's options, and the session endpoint's answer.
import Fastify from 'fastify'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import fastifyCognito from 'fastify-cognito'
import cognitoBff, { cognitoBff as named, type BffProxyOptions, type BffSession, type BffUser, type CognitoBffOptions } from 'fastify-cognito/bff'
import { CsrfHeaderError, UpstreamTimeoutError, UpstreamUnavailableError } from 'fastify-cognito'

const app = Fastify()
app.register(fastifyCognito, {
  userPoolId: 'eu-west-1_abc',
  clientId: 'client',
  domain: 'https://auth.example.com',
  redirectUri: 'https://app.example.com/postlogin',
  logoutUri: 'https://app.example.com/',
  secret: 'a'.repeat(32)
})
app.register(cognitoBff, { proxies: [{ prefix: '/api/orders', upstream: 'https://orders.internal', groups: ['staff'], scopes: ['orders/read'] }] })
app.register(named, {
  proxies: [{ prefix: '/api/live', upstream: 'https://live.internal', websocket: true, timeout: 5000, bodyTimeout: 0, allowSetCookie: false, anyGroup: true }],
  csrfHeader: 'x-csrf',
  csrfValue: '1',
  allowSameSite: false,
  stripCsrfHeader: true,
  sessionPath: '/session',
  silentLogin: true,
  userClaims: ['given_name']
})
app.register(cognitoBff, { proxies: [], sessionPath: false })

expectError(app.register(cognitoBff, {}))
expectError(app.register(cognitoBff, { proxies: [{ prefix: '/api' }] }))
expectError(app.register(cognitoBff, { proxies: [], sessionPath: true }))
expectNotAssignable<BffProxyOptions>({ prefix: '/api', upstream: 'https://x', timeout: '5s' })
expectAssignable<CognitoBffOptions>({ proxies: [{ prefix: '/api', upstream: 'https://x' }] })

declare const session: BffSession
if (session.authenticated) {
  expectType<BffUser>(session.user)
  expectType<string>(session.user.username)
  expectType<readonly string[]>(session.user.groups)
  expectType<string | undefined>(session.user.email)
  expectType<string | null>(session.expiresAt)
  expectType<string | null>(session.logoutUrl)
  expectError(session.loginUrl)
} else {
  expectType<string | null>(session.loginUrl)
  expectType<string | undefined>(session.silentLoginUrl)
}

expectType<403>(new CsrfHeaderError('x-csrf').statusCode as 403)
expectAssignable<Error>(new UpstreamTimeoutError())
expectAssignable<Error>(new UpstreamUnavailableError())
