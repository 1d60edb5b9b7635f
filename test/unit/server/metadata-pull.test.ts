/** metadata pull against a real HTTP server whose answers cannot be merged. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { mergeIntoFile } from '../../../src/cmf/merge-file.js';
import { ServerClient } from '../../../src/server/client.js';
import { pullMetadata, pullTarget } from '../../../src/server/metadata-pull.js';
import { failure } from '../../helpers/failure.js';
import { documentText, rowsOf } from '../../helpers/merge-batch-doc.js';
import type { TestStore } from '../../helpers/merge-stores.js';
import { makeImmutable, mountReadOnly } from '../../helpers/refused-fs.js';
import { MlmdSql } from '../../helpers/mlmd-sql.js';
import { tempDir } from '../../helpers/tmp.js';

type Json = Record<string, unknown>;

const servers: Server[] = [];
afterEach(() =>
  Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r())))),
);

async function answering(body: string): Promise<ServerClient> {
  const server = createServer((_req, res) => res.writeHead(200).end(body));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return new ServerClient({ url: `http://127.0.0.1:${port}`, retries: 0 });
}

/** A server that writes its answer in pieces of `size` bytes, each sent on its own. */
async function answeringInPieces(body: string, size: number): Promise<ServerClient> {
  const server = createServer((_req, res) => {
    res.writeHead(200);
    const bytes = Buffer.from(body, 'utf8');
    void (async () => {
      for (let i = 0; i < bytes.length; i += size) {
        res.write(bytes.subarray(i, i + size));
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    })();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return new ServerClient({ url: `http://127.0.0.1:${port}`, retries: 0 });
}

/** Every row of the MLMD file, timestamps aside. */
function rowsOfFile(path: string) {
  const sql = new MlmdSql(path);
  const store = { rows: async <T>(q: string) => sql.all<T>(q) } as unknown as TestStore;
  return rowsOf(store).finally(() => sql.close());
}

/** A pipeline of one stage holding one execution with one input Dataset. */
function oneExecution(pipeline: string, uuid: string) {
  return {
    Pipeline: [
      {
        name: pipeline,
        stages: [
          {
            name: `${pipeline}/Prepare`,
            executions: [
              {
                type: `${pipeline}/Prepare`,
                name: '',
                properties: { Execution_uuid: uuid, Context_Type: `${pipeline}/Prepare` },
                custom_properties: { ratio: 3000 },
                events: [
                  {
                    type: 3,
                    artifact: {
                      type: 'Dataset',
                      name: `data.xml:${'a'.repeat(32)}`,
                      uri: 'a'.repeat(32),
                      properties: { Commit: 'a'.repeat(32) },
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
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
      message: `metadata pull: the server's answer is not JSON (it starts: "<html>hi</html>")`,
      hint: expect.stringContaining(`Check that ${client.baseUrl}/api/mlmd_pull is a cmf server`),
    });
  });

  it('an empty "Pipeline" list, also inside a JSON string, says the answer holds no pipelines', async () => {
    const cwd = await tempDir('cmf-pull-');
    for (const body of ['{"Pipeline": []}', JSON.stringify('{"Pipeline":[]}')]) {
      const client = await answering(body);
      const err = await failure(pullMetadata({ client, cwd, pipeline: 'P' }));
      expect(err).toMatchObject({ code: 'SERVER_BAD_ANSWER', exitCode: 1 });
      expect(err.message).toBe(
        `metadata pull: the server's answer holds no pipelines (its "Pipeline" list is missing or empty; invalid_json_payload)`,
      );
      expect(err.message).not.toMatch(/without a "Pipeline" list/);
    }
  });

  it('an answer shaped wrongly (an event of type 99) is a bad answer naming the server, exit 1; the MLMD file is unchanged', async () => {
    const cwd = await tempDir('cmf-pull-');
    const doc = oneExecution('P', 'u-1');
    doc.Pipeline[0]!.stages[0]!.executions[0]!.events[0]!.type = 99;
    const client = await answering(JSON.stringify(doc));
    const err = await failure(pullMetadata({ client, cwd, pipeline: 'P' }));
    expect(err).toMatchObject({ code: 'SERVER_BAD_ANSWER', exitCode: 1 });
    expect(err.message).toContain('Pipeline[0].stages[0].executions[0].events[0].type');
    expect(err.hint).toContain(`Check that ${client.baseUrl}/api/mlmd_pull is a cmf server`);
    expect(err.hint).not.toMatch(/Send the JSON/);
    expect(existsSync(join(cwd, 'mlmd'))).toBe(false);

    // Into an existing file: not a byte changes.
    const good = await answering(JSON.stringify(oneExecution('P', 'u-0')));
    await pullMetadata({ client: good, cwd, pipeline: 'P' });
    const before = readFileSync(join(cwd, 'mlmd'));
    const again = await answering(JSON.stringify(doc));
    await expect(pullMetadata({ client: again, cwd, pipeline: 'P' })).rejects.toMatchObject({
      code: 'SERVER_BAD_ANSWER',
      exitCode: 1,
    });
    expect(readFileSync(join(cwd, 'mlmd')).equals(before)).toBe(true);
  });

  it('an answer sent as Python cmf-server sends it (the document inside a JSON string) is merged and counted', async () => {
    const cwd = await tempDir('cmf-pull-');
    const text = JSON.stringify(oneExecution('P', 'u-1')).replace(
      '"ratio":3000',
      '"ratio": 3000.0',
    );
    const client = await answering(JSON.stringify(text));
    const r = await pullMetadata({ client, cwd, pipeline: 'P' });
    expect(r).toMatchObject({ status: 'success', executions: 1 });
    const again = await pullMetadata({ client, cwd, pipeline: 'P' });
    expect(again).toMatchObject({ status: 'exists', executions: 1 });
    // The double written as 3000.0 stays a double through the string.
    const db = new MlmdSql(join(cwd, 'mlmd'));
    try {
      expect(
        db.all("SELECT double_value AS v FROM ExecutionProperty WHERE name = 'ratio'"),
      ).toEqual([{ v: 3000 }]);
    } finally {
      db.close();
    }
  });

  it('a large answer arriving in pieces, in either shape, merges as its whole text; one invalid at its very end changes nothing', async () => {
    // 520 executions (several merge batches), with text to decode.
    const text = documentText(520).replaceAll('"seed"', '"caf\u00e9 \\"seed\\""');
    const reference = join(await tempDir('cmf-pull-'), 'mlmd');
    await mergeIntoFile(reference, text, { pipelineName: 'Batch', mode: 'pull' });
    const want = await rowsOfFile(reference);
    // As our server sends it, and as Python's does (a JSON string, non-ASCII escaped).
    const ascii = (s: string) =>
      s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const body of [text, ascii(JSON.stringify(text))]) {
      const cwd = await tempDir('cmf-pull-');
      const client = await answeringInPieces(body, 777);
      const r = await pullMetadata({ client, cwd, pipeline: 'Batch' });
      expect(r).toMatchObject({ status: 'success', executions: 520 });
      expect(await rowsOfFile(join(cwd, 'mlmd'))).toEqual(want);
    }

    const doc = JSON.parse(text) as { Pipeline: { stages: { executions: Json[] }[] }[] };
    const executions = doc.Pipeline[0]!.stages[1]!.executions;
    const last = structuredClone(executions[executions.length - 1]!);
    (last.properties as Json).Execution_uuid = 'uuid-new';
    last.events = 3;
    executions.push(last);
    const before = readFileSync(reference);
    const err = await failure(
      pullMetadata({
        client: await answeringInPieces(JSON.stringify(doc), 4093),
        cwd: dirname(reference),
        pipeline: 'Batch',
      }),
    );
    expect(err).toMatchObject({
      code: 'SERVER_BAD_ANSWER',
      exitCode: 1,
      data: { at: 'Pipeline[0].stages[1].executions[260].events' },
    });
    expect(readFileSync(reference)).toEqual(before);
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

  it('(root) into a directory SQLite cannot create files in: says why (EROFS, EPERM), not only "cannot open"', async (ctx) => {
    const client = await answering(JSON.stringify(oneExecution('P', 'u-1')));
    const ro = join(await tempDir('cmf-pull-'), 'ro');
    const unmount = mountReadOnly(ro);
    if (!unmount) return ctx.skip();
    try {
      const err = await failure(pullMetadata({ client, cwd: ro, pipeline: 'P' }));
      expect(err).toMatchObject({ code: 'MLMD_CANT_OPEN', exitCode: 1, data: { errno: 'EROFS' } });
      expect(err.message).toBe(
        `Cannot open MLMD file ${join(ro, 'mlmd')}: SQLite cannot create it in ${ro}: its file system is read-only (EROFS).`,
      );
      expect(err.hint).toBe(
        `The file system holding ${ro} is mounted read-only: remount it read-write; or give another MLMD file with -f/--file_name.`,
      );
    } finally {
      unmount();
    }

    // An existing store in a directory with the immutable flag: SQLite opens it, but cannot
    // create the journal of the merge's write.
    const cwd = await tempDir('cmf-pull-');
    const first = await answering(JSON.stringify(oneExecution('P', 'u-0')));
    await pullMetadata({ client: first, cwd, pipeline: 'P' });
    const before = readFileSync(join(cwd, 'mlmd'));
    const undo = makeImmutable(cwd);
    if (!undo) return ctx.skip();
    try {
      const err = await failure(pullMetadata({ client, cwd, pipeline: 'P' }));
      expect(err).toMatchObject({ code: 'MLMD_CANT_OPEN', data: { errno: 'EPERM' } });
      expect(err.message).toContain(
        `MLMD file ${join(cwd, 'mlmd')}: SQLite cannot create its journal in ${cwd}: operation not permitted (EPERM).`,
      );
      expect(err.hint).toContain(`lsattr -d ${cwd}`);
    } finally {
      undo();
    }
    expect(readFileSync(join(cwd, 'mlmd')).equals(before)).toBe(true);
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
