// Imported first by the library's index, so that it runs before any dependency loads: an
// older Node gets NODE_TOO_OLD instead of a TypeError from deep inside a package.
import { nodeTooOld, nodeTooOldError } from './node-version.js';

if (nodeTooOld(process.versions.node)) throw nodeTooOldError();
