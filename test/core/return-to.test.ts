/**
 * The returnTo sanitizer: only same-origin paths survive; everything a browser (or a proxy decoding
 * the path) could read as another origin falls back (RFC 9700 §4.11, open redirectors).
 */
import t from 'tap'
import { sanitizeReturnTo } from '../../lib/protocol/return-to.js'

const hostile: Array<[string, unknown]> = [
  ['an absolute https URL', 'https://evil.example/'],
  ['an absolute http URL', 'http://evil.example/dashboard'],
  ['a scheme without slashes', 'http:evil.example'],
  ['a protocol-relative URL', '//evil.example/path'],
  ['three slashes', '///evil.example'],
  ['slash backslash', '/\\evil.example'],
  ['two backslashes', '\\\\evil.example'],
  ['a backslash inside the path', '/a\\b'],
  ['an encoded //', '/%2F%2Fevil.example'],
  ['an encoded // without the leading slash', '%2F%2Fevil.example'],
  ['an encoded slash after the slash', '/%2Fevil.example'],
  ['an encoded backslash', '/%5Cevil.example'],
  ['an encoded backslash, lower case', '/%5c%5cevil.example'],
  ['dot segments that resolve to //host', '/..//evil.example'],
  ['encoded dot segments that resolve to //host', '/%2e%2e//evil.example'],
  ['a dot segment before an encoded //, found only once normalised', '/./%2f%2fevil.example'],
  ['a dot-dot segment before an encoded //', '/a/../%2F%2Fevil.example'],
  ['a dot segment before an encoded backslash', '/./%5cevil.example'],
  ['javascript:', 'javascript:alert(document.cookie)'],
  ['data:', 'data:text/html,<script>alert(1)</script>'],
  ['a NUL byte', '/ok\x00evil'],
  ['a tab', '/\tevil.example'],
  ['a new line (header injection)', '/ok\r\nSet-Cookie: x=y'],
  ['an encoded new line', '/ok%0d%0aSet-Cookie:%20x=y'],
  ['an encoded tab before //', '/%09/evil.example'],
  ['DEL', '/ok\x7f'],
  ['a space', '/ok evil'],
  ['a leading space', ' /dashboard'],
  ['a relative path without slash', 'dashboard'],
  ['a host name', 'evil.example'],
  ['malformed percent-encoding', '/%E0%A4%A'],
  ['a lone percent', '/100%'],
  ['very long', `/${'a'.repeat(2048)}`],
  ['an empty string', ''],
  ['an array (repeated query parameter)', ['/a', '/b']],
  ['a number', 42],
  ['undefined', undefined],
  ['null', null],
  ['an object', { toString: () => '/dashboard' }]
]

t.test(`hostile returnTo values are refused (${hostile.length} forms)`, async (t) => {
  for (const [what, value] of hostile) t.equal(sanitizeReturnTo(value), undefined, what)
})

t.test('same-origin paths are kept, with their query and hash', async (t) => {
  const good: Array<[string, string]> = [
    ['/', '/'],
    ['/dashboard', '/dashboard'],
    ['/orders?page=2&sort=desc#top', '/orders?page=2&sort=desc#top'],
    ['/search?q=a%20b', '/search?q=a%20b'],
    ['/report?title=Q1%20%26%20Q2#Summary%20table', '/report?title=Q1%20%26%20Q2#Summary%20table'],
    ['/files/a%2Fb', '/files/a%2Fb'],
    ['/a/b/../c', '/a/c'],
    ['/x?next=//not-a-host-here', '/x?next=//not-a-host-here'],
    ['/café', '/caf%C3%A9'],
    [`/${'a'.repeat(2047)}`, `/${'a'.repeat(2047)}`]
  ]
  for (const [value, expected] of good) t.equal(sanitizeReturnTo(value), expected, value.slice(0, 40))
})
