import t from 'tap'
import { readFileSync } from 'node:fs'
import * as api from '../../lib/index.js'

const isErrorClass = (name: string): boolean => /^[A-Z]\w*Error$/.test(name)

t.test('the package exports the plugin, optionsFromEnv, openapiSecuritySchemes and the coded errors, and no internal helper', async (t) => {
  const names = Object.keys(api).sort()
  const errors = names.filter(isErrorClass)
  t.same(names.filter(name => !isErrorClass(name)), ['default', 'fastifyCognito', 'isFastifyCognitoError', 'openapiSecuritySchemes', 'optionsFromEnv'])
  t.equal(errors.length, 30)
  t.equal(api.default, api.fastifyCognito)
})

t.test('every exported error has a FST_COGNITO_ code and an HTTP status, and the README lists it with that status', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  for (const [name, value] of Object.entries(api)) {
    if (!isErrorClass(name)) continue
    const err = new (value as new (...args: string[]) => Error & { code: string, statusCode: number })('x', 'y')
    t.match(err.code, /^FST_COGNITO_[A-Z_]+$/, name)
    t.ok(api.isFastifyCognitoError(err), `${name} is recognised as ours`)
    const status = err.code === 'FST_COGNITO_INVALID_OPTION' ? '(startup)' : String(err.statusCode)
    t.ok(readme.includes(`| \`${err.code}\` | ${status} |`), `README lists ${err.code} with ${status}`)
  }
  t.notOk(api.isFastifyCognitoError(new Error('other')))
})
