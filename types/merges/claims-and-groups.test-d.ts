// Type tests of the declaration-merging hooks, in a program of their own (`npm run test:types` runs
// tsd on this folder apart): an app that declares its groups and claims, as a user would.
import Fastify from 'fastify'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import fastifyCognito, { type CognitoAccessTokenClaims, type CognitoGroupName, type CognitoIdTokenClaims, type GuardOptions } from 'fastify-cognito'

declare module 'fastify-cognito' {
  interface CognitoGroups { admin: true, editor: true }
  interface CognitoAccessTokenCustomClaims { tenant: string, 'custom:roles'?: string[] }
  interface CognitoCustomClaims { 'custom:plan': 'free' | 'pro' }
}

const app = Fastify()
app.register(fastifyCognito, {
  userPoolId: 'eu-west-1_abc',
  clientId: 'client',
  domain: 'https://app.auth.eu-west-1.amazoncognito.com',
  redirectUri: 'https://example.com/postlogin',
  logoutUri: 'https://example.com/postlogout',
  secret: 'a'.repeat(32)
})

// The declared groups, and only them.
expectType<'admin' | 'editor'>({} as CognitoGroupName)
app.cognito.requireGroups(['admin'])
app.cognito.requireAnyGroup(['admin', 'editor'])
app.cognito.guard({ groups: ['editor'], anyGroup: true })
expectError(app.cognito.requireGroups(['admn']))
expectError(app.cognito.requireAnyGroup(['admin', 'editr']))
expectError(app.cognito.guard({ groups: ['admn'] }))
expectNotAssignable<GuardOptions>({ groups: ['admn'] })

// Route configuration, typed through Fastify's FastifyContextConfig.
app.get('/admin', { config: { cognito: { groups: ['admin'] } } }, async () => 'ok')
expectError(app.get('/admin', { config: { cognito: { groups: ['admn'] } } }, async () => 'ok'))

// The identity's groups stay strings: a token may carry a group the app never declared.
app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => {
  if (request.cognito === null) return null
  expectType<readonly string[]>(request.cognito.groups)
  // A user's access token (not a machine's, not an ALB's that may be missing): its own claims, merged.
  if (request.cognito.kind !== 'user' || request.cognito.source === 'alb') return null
  expectType<string>(request.cognito.accessToken.tenant)
  expectType<string[] | undefined>(request.cognito.accessToken['custom:roles'])
  expectType<string>(request.cognito.accessToken.client_id)
  // The ID token's, as before.
  expectType<'free' | 'pro' | undefined>(request.cognito.idToken?.['custom:plan'])
  return null
})

expectType<string>(({} as CognitoAccessTokenClaims).tenant)
expectType<'free' | 'pro'>(({} as CognitoIdTokenClaims)['custom:plan'])
// Access-token claims are not ID-token claims, and the reverse.
expectNotAssignable<{ tenant: string }>({} as CognitoIdTokenClaims)
expectAssignable<{ tenant: string }>({} as CognitoAccessTokenClaims)
