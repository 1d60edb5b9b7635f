/** metadata pull against a real HTTP server whose answers cannot be merged. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { ServerClient } from '../../../src/server/client.js';
import { pullMetadata, pullTarget } from '../../../src/server/metadata-pull.js';
import { tempDir } from '../../helpers/tmp.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function answering(body: string): Promise<ServerClient> {
  server = createServer((_req, res) => res.writeHead(200).end(body));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return new ServerClient({ url: `http://127.0.0.1:${port}`, retries: 0 });
}

describe('pullMetadata', () => {
  it.each([
    ['{"Pipeline": []}', 'SERVER_BAD_ANSWER'],
    ['not json', 'SERVER_BAD_ANSWER'],
    ['no_exec_uuid', 'EXECUTION_NOT_FOUND'],
    ['{"Pipeline": [{"name": "Other", "stages": []}]}', 'PIPELINE_NOT_FOUND'],
  ])('answer %s is %s and leaves no MLMD file behind', async (body, code) => {
    const cwd = await tempDir('cmf-pull-');
    const client = await answering(body);
    await expect(
      pullMetadata({ client, cwd, pipeline: 'P', executionUuid: 'u' }),
    ).rejects.toMatchObject({ code });
    expect(existsSync(join(cwd, 'mlmd'))).toBe(false);
  });

  it('no_exec_uuid without -e is a bad answer, not a message about an undefined uuid', async () => {
    const cwd = await tempDir('cmf-pull-');
    const client = await answering('no_exec_uuid');
    const err = await pullMetadata({ client, cwd, pipeline: 'P' }).then(
      () => undefined,
      (e: unknown) => e as CmfError,
    );
    expect(err).toMatchObject({ code: 'SERVER_BAD_ANSWER', exitCode: 1 });
    expect(err!.message).not.toMatch(/undefined/);
    expect(err!.message).toContain('although no execution uuid was asked for');
    expect(existsSync(join(cwd, 'mlmd'))).toBe(false);
  });

  it('an HTML page is SERVER_BAD_ANSWER naming the pull URL', async () => {
    const cwd = await tempDir('cmf-pull-');
    const client = await answering('<html>hi</html>');
    await expect(pullMetadata({ client, cwd, pipeline: 'P' })).rejects.toMatchObject({
      code: 'SERVER_BAD_ANSWER',
      hint: expect.stringContaining(`Check that ${client.baseUrl}/api/mlmd_pull is a cmf server`),
    });
  });

  it('refuses a directory as target and a missing parent directory', async () => {
    const cwd = await tempDir('cmf-pull-');
    const client = await answering('{}');
    await expect(pullMetadata({ client, cwd, mlmdPath: '.', pipeline: 'P' })).rejects.toMatchObject(
      { code: 'PULL_TARGET_IS_DIRECTORY', exitCode: 2 },
    );
    await expect(
      pullMetadata({ client, cwd, mlmdPath: 'no/such/mlmd', pipeline: 'P' }),
    ).rejects.toMatchObject({ code: 'DIRECTORY_NOT_FOUND', exitCode: 3 });
  });

  it('without -f targets the mlmd the read commands open: from a sub-directory, the project root', async () => {
    const root = await tempDir('cmf-pull-');
    const sub = join(root, 'a', 'b');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(root, '.cmfconfig'), '[cmf]\n');
    // No mlmd yet: the project root, where pipeline list would look for it.
    expect(pullTarget(sub, undefined)).toBe(join(root, 'mlmd'));
    writeFileSync(join(root, 'mlmd'), '');
    expect(pullTarget(sub, undefined)).toBe(join(root, 'mlmd'));
    // An mlmd in the directory itself comes first, as for the read commands.
    writeFileSync(join(sub, 'mlmd'), '');
    expect(pullTarget(sub, undefined)).toBe(join(sub, 'mlmd'));
    // -f always wins, relative to the directory.
    expect(pullTarget(sub, 'copy')).toBe(join(sub, 'copy'));
    // Outside a project: ./mlmd.
    const outside = await tempDir('cmf-pull-');
    expect(pullTarget(outside, undefined)).toBe(join(outside, 'mlmd'));
  });
});
