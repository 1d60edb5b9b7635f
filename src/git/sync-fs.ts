/**
 * A promise-shaped file system for isomorphic-git that does its work synchronously. `add`
 * and `commit` touch many tiny files (the staged file, a loose object and an `exists` check
 * each, small trees); on the thread pool each of those is a round trip. Staging 100 `.dvc`
 * files measured about 20% faster this way on a 2-core machine. Used only for those calls.
 */
import fs from 'node:fs';

function promised<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
  return (...args: A): Promise<R> => {
    try {
      return Promise.resolve(fn(...args));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
}

export const syncBackedFs = {
  readFile: promised(fs.readFileSync),
  writeFile: promised(fs.writeFileSync),
  mkdir: promised(fs.mkdirSync),
  rmdir: promised(fs.rmdirSync),
  rm: promised(fs.rmSync),
  unlink: promised(fs.unlinkSync),
  stat: promised(fs.statSync),
  lstat: promised(fs.lstatSync),
  readdir: promised(fs.readdirSync),
  readlink: promised(fs.readlinkSync),
  symlink: promised(fs.symlinkSync),
  chmod: promised(fs.chmodSync),
};
