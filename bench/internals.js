// fastify-cognito internals the micro-benchmark needs, from the build (dist/*.js). These are not the
// package's public API and lib/ is being restructured: this file is the only place the bench depends
// on the internal layout. When a path or export moves, update it here; until then, loadInternals()
// reports what is missing and micro.js skips the steps that need it (with a message) instead of failing.
const WANTED = {
  resolveOptions: '../dist/options.js',
  createCodec: '../dist/session/codec.js',
  Verifier: '../dist/protocol/verifier.js',
  JwksCache: '../dist/protocol/jwks-cache.js',
  buildIdentity: '../dist/protocol/identity.js'
}

/** The internals that could be loaded, and a message for each that could not. */
export async function loadInternals () {
  const found = {}
  const missing = []
  for (const [name, path] of Object.entries(WANTED)) {
    try {
      const module = await import(path)
      if (module[name] === undefined) missing.push(`${name} is no longer exported by dist/${path.split('/dist/')[1]}`)
      else found[name] = module[name]
    } catch (err) {
      missing.push(`dist/${path.split('/dist/')[1]} could not be loaded (${err.code ?? err.message})`)
    }
  }
  return { ...found, missing }
}
