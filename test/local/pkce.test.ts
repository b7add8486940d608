import t from 'tap'
import { LocalCognitoBrowser } from '../../lib/local/index.js'
import { authorizeUrl, pkce, REDIRECT_URI, signIn, start, token } from '../helpers/local-cognito.js'

t.test('an authorization request without code_challenge is sent back with invalid_request', async (t) => {
  const local = await start(t)
  const callback = await new LocalCognitoBrowser(local.url).signIn(authorizeUrl(local, { challenge: null, method: null }))
  t.equal(callback.origin + callback.pathname, REDIRECT_URI)
  t.equal(callback.searchParams.get('error'), 'invalid_request')
  t.match(callback.searchParams.get('error_description'), /PKCE/)
  t.equal(callback.searchParams.get('state'), 'state-123')
  t.notOk(callback.searchParams.has('iss'), 'no iss, as in Cognito')
  t.notOk(callback.searchParams.has('code'))
})

t.test('the public client needs PKCE too', async (t) => {
  const local = await start(t)
  const url = authorizeUrl(local, { clientId: local.clients.public.clientId, challenge: null, method: null })
  const callback = await new LocalCognitoBrowser(local.url).signIn(url)
  t.equal(callback.searchParams.get('error'), 'invalid_request')
})

t.test('code_challenge_method=plain is refused', async (t) => {
  const local = await start(t)
  const { verifier } = pkce()
  const callback = await new LocalCognitoBrowser(local.url).signIn(authorizeUrl(local, { challenge: verifier, method: 'plain' }))
  t.equal(callback.searchParams.get('error'), 'invalid_request')
  t.match(callback.searchParams.get('error_description'), /code_challenge_method/)
})

t.test('a wrong or missing code_verifier is rejected with invalid_grant', async (t) => {
  const local = await start(t)
  const wrong = await signIn(local)
  const answer = await token(local, local.clients.confidential, {
    grant_type: 'authorization_code', code: wrong.code, redirect_uri: REDIRECT_URI, code_verifier: pkce().verifier
  })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'invalid_grant')

  const missing = await signIn(local)
  const noVerifier = await token(local, local.clients.confidential, { grant_type: 'authorization_code', code: missing.code, redirect_uri: REDIRECT_URI })
  t.equal(noVerifier.status, 400)
  t.match(noVerifier.body.error, /^invalid_(grant|request)$/)
  t.equal(local.stats.authorizationCodeGrants, 0)
})

t.test('an authorization code is single use', async (t) => {
  const local = await start(t)
  const { code, pkce: verifier } = await signIn(local)
  const fields = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier.verifier }
  const first = await token(local, local.clients.confidential, fields)
  t.equal(first.status, 200)
  const second = await token(local, local.clients.confidential, fields)
  t.equal(second.status, 400)
  t.equal(second.body.error, 'invalid_grant')
  t.type(second.body.error_description, 'string')
  t.equal(local.stats.authorizationCodeGrants, 1)
})
