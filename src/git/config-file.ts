/**
 * Changing the repository's config file as git does: the new text goes into `config.lock`
 * (created exclusively, so a concurrent writer is refused rather than overwritten) and is
 * renamed over `config`. isomorphic-git's config commands (addRemote, setConfig) rewrite the
 * file in place, and one cut short by a full disk loses every setting after the cut, with no
 * room to write the old text back; here they only compute the new text, and a failure at
 * any point leaves the old file whole.
 */
import { chmodSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PromiseFsClient } from 'isomorphic-git';
import { OperationError, orNoSpace } from '../errors/index.js';
import { createLockFile } from '../fs/lock-file.js';

/**
 * Runs `edit` (an isomorphic-git config command given the file system it is passed, with
 * `gitdir: commondir`) and writes what it would have written to `<commondir>/config` in
 * git's way. A full disk is DISK_FULL naming the config file.
 */
export async function editRepoConfig(
  commondir: string,
  edit: (fs: PromiseFsClient) => Promise<unknown>,
): Promise<void> {
  const config = join(commondir, 'config');
  // Through a symlinked config to its target, as git's lock file goes.
  const file = realOrSelf(config);
  const lock = `${file}.lock`;
  if (!createLockFile(lock)) {
    throw new OperationError('GIT_CONFIG_LOCKED', `${lock} exists: git's config is being changed`, {
      hint: 'Wait for the other git process to finish; if none is running, delete the lock file and run the command again.',
      data: { lock },
    });
  }
  try {
    const text = await textOf(config, edit);
    if (text !== undefined) {
      writeFileSync(lock, text);
      const mode = statSync(file, { throwIfNoEntry: false })?.mode;
      if (mode !== undefined) chmodSync(lock, mode & 0o7777);
      renameSync(lock, file);
      return;
    }
    rmSync(lock, { force: true });
  } catch (err) {
    rmSync(lock, { force: true });
    throw orNoSpace(err, file);
  }
}

/** What `edit` writes to `config`; undefined when it writes nothing. Other writes are refused. */
async function textOf(
  config: string,
  edit: (fs: PromiseFsClient) => Promise<unknown>,
): Promise<string | Uint8Array | undefined> {
  let text: string | Uint8Array | undefined;
  const refuse = (path: unknown) =>
    Promise.reject(new Error(`unexpected write of ${String(path)} while changing git's config`));
  const client: PromiseFsClient = {
    promises: {
      readFile: fs.readFile,
      stat: fs.stat,
      lstat: fs.lstat,
      readdir: fs.readdir,
      readlink: fs.readlink,
      writeFile: (path: string, data: string | Uint8Array) => {
        if (resolve(path) !== resolve(config)) return refuse(path);
        text = data;
        return Promise.resolve();
      },
      unlink: refuse,
      mkdir: refuse,
      rmdir: refuse,
      symlink: refuse,
      chmod: refuse,
    },
  };
  await edit(client);
  return text;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
