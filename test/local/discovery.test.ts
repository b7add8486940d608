import t from 'tap'
import { request } from 'undici'
import { start } from '../helpers/local-cognito.js'

t.test('the discovery document lives under the issuer and points at the domain\'s endpoints', async (t) => {
  const local = await start(t)
  t.equal(local.issuer, `${local.url}/us-east-1_LocalPool`)
  const res = await request(`${local.issuer}/.well-known/openid-configuration`)
  t.equal(res.statusCode, 200)
  const doc = await res.body.json() as Record<string, unknown>
  t.match(doc, {
    issuer: local.issuer,
    jwks_uri: `${local.issuer}/.well-known/jwks.json`,
    authorization_endpoint: `${local.url}/oauth2/authorize`,
    token_endpoint: `${local.url}/oauth2/token`,
    revocation_endpoint: `${local.url}/oauth2/revoke`,
    userinfo_endpoint: `${local.url}/oauth2/userInfo`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: ['RS256']
  })
  t.same((doc.scopes_supported as string[]).sort(), ['aws.cognito.signin.user.admin', 'email', 'openid', 'phone', 'profile'])
  t.notOk('end_session_endpoint' in doc, 'Cognito\'s /logout is not RP-initiated logout')
  t.notOk('pushed_authorization_request_endpoint' in doc, 'no PAR')
})

t.test('the JWKS lives under the issuer', async (t) => {
  const local = await start(t)
  const res = await request(`${local.issuer}/.well-known/jwks.json`)
  t.equal(res.statusCode, 200)
  const { keys } = await res.body.json() as { keys: unknown[] }
  t.equal(keys.length, 2)
})

t.test('the domain root has no discovery document or JWKS, as in Cognito', async (t) => {
  const local = await start(t)
  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/.well-known/jwks.json']) {
    const res = await request(`${local.url}${path}`)
    await res.body.dump()
    t.equal(res.statusCode, 404, path)
  }
})

t.test('the pool id shapes issuer and region', async (t) => {
  const local = await start(t, { userPoolId: 'eu-west-1_AbC123' })
  t.equal(local.userPoolId, 'eu-west-1_AbC123')
  t.equal(local.region, 'eu-west-1')
  t.equal(local.issuer, `${local.url}/eu-west-1_AbC123`)
  const res = await request(`${local.issuer}/.well-known/openid-configuration`)
  const doc = await res.body.json() as Record<string, unknown>
  t.equal(doc.issuer, local.issuer)
  t.equal(doc.jwks_uri, `${local.issuer}/.well-known/jwks.json`)
})
