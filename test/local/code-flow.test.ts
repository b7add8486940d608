import t from 'tap'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { request } from 'undici'
import { REDIRECT_URI, signIn, signInForTokens, start, token } from '../helpers/local-cognito.js'

t.test('the confidential client signs in with code + PKCE (Basic auth) and gets verifiable tokens', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)

  t.equal(tokens.signedIn.callback.origin + tokens.signedIn.callback.pathname, REDIRECT_URI, 'back at the registered callback')
  t.equal(tokens.signedIn.callback.searchParams.get('state'), 'state-123', 'state comes back')
  t.same([...tokens.signedIn.callback.searchParams.keys()].sort(), ['code', 'state'], 'code and state only, as Cognito (no iss)')
  t.same(Object.keys(tokens).filter((k) => k !== 'signedIn').sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'token_type'])
  t.equal(tokens.token_type, 'Bearer')
  t.equal(tokens.expires_in, 3600)

  const jwks = createRemoteJWKSet(new URL(`${local.issuer}/.well-known/jwks.json`))
  const access = await jwtVerify(tokens.access_token, jwks, { issuer: local.issuer })
  t.equal(access.payload.client_id, 'local-confidential-client')
  const id = await jwtVerify(tokens.id_token, jwks, { issuer: local.issuer, audience: 'local-confidential-client' })
  t.equal(id.payload['cognito:username'], 'alice')
  t.equal(local.stats.authorizationCodeGrants, 1)
})

t.test('the public client signs in with code + PKCE and client_id in the body', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { client: local.clients.public, username: 'bob' })
  const jwks = createRemoteJWKSet(new URL(`${local.issuer}/.well-known/jwks.json`))
  const access = await jwtVerify(tokens.access_token, jwks, { issuer: local.issuer })
  t.equal(access.payload.client_id, 'local-public-client')
  t.equal(access.payload.username, 'bob')
  const id = await jwtVerify(tokens.id_token, jwks, { issuer: local.issuer, audience: 'local-public-client' })
  t.equal(id.payload.aud, 'local-public-client')
  t.type(tokens.refresh_token, 'string')
})

t.test('the confidential client cannot redeem a code without its secret', async (t) => {
  const local = await start(t)
  const { code, pkce } = await signIn(local)
  const fields = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier }
  const noSecret = await token(local, { clientId: local.clients.confidential.clientId }, fields)
  t.equal(noSecret.status, 400, 'HTTP 400 as in Cognito, not 401')
  t.equal(noSecret.body.error, 'invalid_client')
  const wrongSecret = await token(local, { clientId: local.clients.confidential.clientId, clientSecret: 'nope' }, fields)
  t.equal(wrongSecret.status, 400)
  t.equal(wrongSecret.body.error, 'invalid_client')
  t.equal(local.stats.authorizationCodeGrants, 0, 'failed exchanges are not counted')
})

t.test('the token endpoint refuses a redirect_uri other than the authorization request\'s', async (t) => {
  const local = await start(t, { redirectUris: [REDIRECT_URI, 'http://localhost:3000/other'] })
  const { code, pkce } = await signIn(local)
  const answer = await token(local, local.clients.confidential, {
    grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:3000/other', code_verifier: pkce.verifier
  })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'invalid_grant')
})

t.test('an unknown grant type is an HTTP 400 error', async (t) => {
  const local = await start(t)
  const answer = await token(local, local.clients.confidential, { grant_type: 'password' })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'unsupported_grant_type')
})

t.test('the token endpoint answers cross-origin requests, for single-page apps with the public client', async (t) => {
  const local = await start(t)
  const res = await request(`${local.url}/oauth2/token`, {
    method: 'POST',
    headers: { origin: 'http://localhost:5173', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'unknown', client_id: local.clients.public.clientId }).toString()
  })
  await res.body.dump()
  t.equal(res.statusCode, 400)
  t.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173')
})
