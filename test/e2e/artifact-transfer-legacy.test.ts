/**
 * DVC 2.x legacy objects with a local remote, through the built binary: a project with
 * legacy `.dvc` files, a legacy cache (a CRLF text file, a directory) and legacy object URLs
 * pushes them to the remote's legacy layout and pulls them back from one DVC 2 filled.
 * (The same checks run against S3 in artifact-transfer-s3.test.ts.)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { listFiles, loggedProject } from '../helpers/artifact-project.js';
import { isolatedEnv } from '../helpers/cli.js';
import {
  addLegacyArtifacts,
  expectLegacyPull,
  expectLegacyPush,
  type LegacyArtifacts,
  type RemoteView,
} from '../helpers/legacy-project.js';

let root: string;
let project: string;
let remote: string;
let env: Record<string, string>;
let legacy: LegacyArtifacts;

/** A local remote directory seen directly. */
function localView(dir: string): RemoteView {
  return {
    url: dir,
    keys: async () => {
      try {
        return listFiles(dir);
      } catch {
        return [];
      }
    },
    read: async (key) => readFileSync(join(dir, key)),
    write: async (key, bytes) => {
      await mkdir(dirname(join(dir, key)), { recursive: true });
      await rm(join(dir, key), { force: true });
      await writeFile(join(dir, key), bytes);
    },
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-legacy-'));
  project = join(root, 'project');
  remote = join(root, 'remote');
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  await loggedProject(project, ['local', '--path', remote], env);
  legacy = await addLegacyArtifacts(project, remote);
}, 60_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('legacy (DVC 2.x) objects on a local remote', () => {
  it('push puts them in the legacy layout, byte-identical; a second push finds them', async () => {
    await expectLegacyPush(project, legacy, localView(remote), env);
  });

  it('pull restores them from a remote DVC 2 filled, verified with md5-dos2unix; a corrupt one is exit 5', async () => {
    const filled = join(root, 'remote-dvc2');
    await expectLegacyPull({
      project,
      legacy,
      remote: localView(filled),
      env,
      root,
      pointAt: (clone) => {
        const cfg = join(clone, '.dvc/config');
        writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(remote, filled));
      },
    });
  });
});
