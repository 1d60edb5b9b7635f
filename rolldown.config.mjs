// The fast path of `cmf artifact push` / `pull` (src/cli/fast-path.ts) as one module,
// dist/fast/fast-run.js, built from tsc's output by `npm run build`: Node loads ~80 small
// ES modules more slowly than one file of the same code (about 40 ms of a 0.2 s no-op push).
// Packages stay outside (native addons, lazily loaded SDKs); the remote drivers, which the
// code imports when a remote of their kind is used, become chunks of their own. bin/run.js
// falls back to dist/cli/fast-run.js when the bundle is missing or older than tsc's output.
export default {
  input: { 'fast-run': 'dist/cli/fast-run.js' },
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  platform: 'node',
  logLevel: 'warn',
  output: { dir: 'dist/fast', format: 'esm' },
};
