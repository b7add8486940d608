import t, { type Test } from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { LocalCognitoBrowser } from '../../lib/local/index.js'

/** A loopback server that records request headers and answers with `handler`'s status and headers. */
async function serve (t: Test, handler: (path: string) => [number, Record<string, string | string[]>]): Promise<{ url: string, seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    const [status, headers] = handler(req.url ?? '/')
    res.writeHead(status, headers).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections() }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

t.test('the scripted browser keeps the stand-in\'s cookies, clears emptied ones, and never sends them elsewhere', async (t) => {
  const other = await serve(t, () => [200, {}])
  const standIn = await serve(t, (path) => path === '/set'
    ? [200, { 'set-cookie': ['a=1; path=/; httponly', 'b=2; path=/login'] }]
    : path === '/clear' ? [200, { 'set-cookie': 'a=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT' }] : [200, {}])
  const browser = new LocalCognitoBrowser(standIn.url)

  await browser.request(`${standIn.url}/first`)
  t.equal(standIn.seen[0]!.cookie, undefined, 'no cookie header while the jar is empty')
  await browser.request(`${standIn.url}/set`)
  t.same(browser.cookies, { a: '1', b: '2' })
  await browser.request(`${standIn.url}/again`)
  t.equal(standIn.seen[2]!.cookie, 'a=1; b=2')
  await browser.request(`${other.url}/`, { headers: { 'x-test': 'yes' } })
  t.equal(other.seen[0]!.cookie, undefined, 'not sent to another origin')
  t.equal(other.seen[0]!['x-test'], 'yes', 'request headers pass through')
  await browser.request(`${standIn.url}/clear`)
  t.same(browser.cookies, { b: '2' })
})

t.test('the scripted browser ignores cookies set by other origins', async (t) => {
  const other = await serve(t, () => [200, { 'set-cookie': 'evil=1' }])
  const browser = new LocalCognitoBrowser('http://127.0.0.1:9')
  await browser.request(`${other.url}/`)
  t.same(browser.cookies, {})
})

t.test('the scripted browser gives up after ten redirects', async (t) => {
  const loop = await serve(t, () => [302, { location: '/again' }])
  await t.rejects(new LocalCognitoBrowser(loop.url).signIn(`${loop.url}/start`), { name: 'HostedUiError', message: 'more than 10 redirects' })
  t.equal(loop.seen.length, 11)
})
