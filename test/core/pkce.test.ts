import t from 'tap'
import { calculateCodeChallenge, randomToken, safeEqual } from '../../lib/protocol/pkce.js'

t.test('the S256 code challenge matches RFC 7636 Appendix B', async (t) => {
  t.equal(calculateCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
})

t.test('random tokens are URL-safe, of the asked size, and never repeat', async (t) => {
  t.match(randomToken(), /^[A-Za-z0-9_-]{43}$/, '32 bytes by default')
  t.match(randomToken(16), /^[A-Za-z0-9_-]{22}$/)
  const seen = new Set(Array.from({ length: 1000 }, () => randomToken()))
  t.equal(seen.size, 1000)
})

t.test('safeEqual compares secrets: equal, different, different lengths', async (t) => {
  t.equal(safeEqual('state-value', 'state-value'), true)
  t.equal(safeEqual('state-value', 'state-valuf'), false)
  t.equal(safeEqual('state-value', 'state-value-longer'), false)
  t.equal(safeEqual('', ''), true)
})
