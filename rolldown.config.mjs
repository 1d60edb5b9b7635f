// The fast path of `cmf artifact push` / `pull` and of the listings (src/cli/fast-path.ts) as
// a few modules, dist/fast/fast-run.js and its chunks, built from tsc's output by
// `npm run build`: Node loads ~80 small ES modules more slowly than one file of the same code
// (about 40 ms of a 0.2 s no-op push). Packages stay outside (native addons, lazily loaded
// SDKs); the code fast-run.js imports when it runs (the transfers, the listings, each remote
// driver when a remote of its kind is used) becomes chunks of their own.
// dist/fast/inputs.json lists the modules the bundle was made of: bin/run.js runs
// dist/cli/fast-run.js instead when one of them is newer than the bundle (`tsc -w`, a tsc-only
// build) or the bundle is missing. Source maps point into those modules (DEBUG stacks).
import { relative, resolve } from 'node:path';

const out = 'dist/fast';

/** Writes inputs.json: every module of every chunk, relative to the output directory. */
const listInputs = {
  name: 'list-inputs',
  generateBundle(_options, bundle) {
    const inputs = new Set();
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      for (const id of chunk.moduleIds) inputs.add(relative(resolve(out), id));
    }
    this.emitFile({
      type: 'asset',
      fileName: 'inputs.json',
      source: JSON.stringify([...inputs].sort()),
    });
  },
};

export default {
  input: { 'fast-run': 'dist/cli/fast-run.js' },
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  platform: 'node',
  logLevel: 'warn',
  plugins: [listInputs],
  output: { dir: out, format: 'esm', sourcemap: true },
};
