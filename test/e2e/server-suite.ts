/**
 * The metadata server end to end, shared by the SQLite and PostgreSQL test files: one real
 * `cmf server start` process per file (bearer token, 2 MiB body limit), real projects
 * logged with the Cmf library, and the built `cmf` binary as the client.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExactJson } from '../../src/cmf/exact-json.js';
import { loggedProject, listFiles } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';
import { startCmfServer, type CmfServerProcess } from '../helpers/cmf-server.js';
import { dvcPipelineProject, lockText } from '../helpers/dvc-pipeline.js';
import { documentText } from '../helpers/merge-batch-doc.js';
import { smallProject } from '../helpers/server-project.js';
import { freePort } from '../servers/common.js';

const TOKEN = 'test-token-0123456789';

type Json = Record<string, unknown>;

/** The export of `pipeline` from `mlmd` (in `cwd`), as data. */
async function exportOf(
  cwd: string,
  pipeline: string,
  env: Record<string, string>,
  mlmd = 'mlmd',
): Promise<Json> {
  const r = await runCmf(['metadata', 'export', '-p', pipeline, '-f', mlmd, '-j', '-'], {
    cwd,
    env,
  });
  if (r.code !== 0) throw new Error(`export failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

/**
 * An export without what legitimately differs between two stores: ids, type ids, times,
 * the receiver's `original_create_time_since_epoch`, and the receiver's execution id that
 * cmf appends to model and metrics names; executions and events in a stable order.
 */
function normalised(doc: Json): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v))
      return v.map(strip).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (v && typeof v === 'object') {
      const out: Json = {};
      for (const [k, x] of Object.entries(v as Json)) {
        if (
          [
            'id',
            'type_id',
            'create_time_since_epoch',
            'last_update_time_since_epoch',
            'original_create_time_since_epoch',
            'Context_ID',
            'Pipeline_id',
          ].includes(k)
        )
          continue;
        out[k] =
          (k === 'name' || k === 'metrics_name') && typeof x === 'string'
            ? x.replace(/:\d+$/, '')
            : strip(x);
      }
      return out;
    }
    return v;
  };
  return strip(doc);
}

function executionUuids(doc: Json): string[] {
  const out: string[] = [];
  for (const p of doc.Pipeline as Json[])
    for (const s of p.stages as Json[])
      for (const e of s.executions as Json[])
        out.push(String((e.properties as Json).Execution_uuid));
  return out.sort();
}

/** A payload in exactly the shape Python cmf sends (§6.1), written by hand. */
function pythonShapedPayload(pipeline: string, uuid: string): string {
  const doc = {
    Pipeline: [
      {
        stages: [
          {
            executions: [
              {
                type: 'Prepare',
                name: '',
                events: [
                  {
                    type: 3,
                    artifact: {
                      type: 'Dataset',
                      create_time_since_epoch: 1700000000000,
                      custom_properties: { 'user-metadata1': 'metadata_value' },
                      id: 1,
                      last_update_time_since_epoch: 1700000000000,
                      name: 'artifacts/data.xml.gz:236d9502e0283d91f689d7038b8508a2',
                      properties: {
                        Commit: '236d9502e0283d91f689d7038b8508a2',
                        git_repo: 'https://github.com/example/project.git',
                        url: `${pipeline}:/remote/files/md5/23/6d9502e0283d91f689d7038b8508a2`,
                      },
                      type_id: 14,
                      uri: '236d9502e0283d91f689d7038b8508a2',
                    },
                  },
                ],
                create_time_since_epoch: 1700000000001,
                custom_properties: { seed: 20170428, split: 0.2, ratio: 3000.0 },
                id: 1,
                last_update_time_since_epoch: 1700000000001,
                properties: {
                  Context_ID: 2,
                  Context_Type: 'Prepare',
                  Execution: "['src/parse.py', 'artifacts/data.xml.gz']",
                  Execution_type_name: 'Prepare',
                  Execution_uuid: uuid,
                  Git_End_Commit: '',
                  Git_Repo: 'https://github.com/example/project.git',
                  Git_Start_Commit: 'a'.repeat(40),
                  Pipeline_Type: pipeline,
                  Pipeline_id: 1,
                },
                type_id: 12,
              },
            ],
            create_time_since_epoch: 1700000000000,
            custom_properties: {},
            id: 2,
            last_update_time_since_epoch: 1700000000000,
            name: `${pipeline}/Prepare`,
            properties: { Pipeline_Stage: `${pipeline}/Prepare` },
            type: 'Pipeline_Stage',
            type_id: 11,
          },
        ],
        create_time_since_epoch: 1700000000000,
        custom_properties: {},
        id: 1,
        last_update_time_since_epoch: 1700000000000,
        name: pipeline,
        properties: { Pipeline: pipeline },
        type: 'Parent_Context',
        type_id: 10,
      },
    ],
  };
  // Python writes 3000.0; JSON.stringify would write 3000.
  return JSON.stringify(doc).replace('"ratio":3000', '"ratio": 3000.0');
}

export function serverSuite(name: string, databaseArgs: () => Promise<string[]>): void {
  // Each test builds projects with the Cmf library and runs the binary several times: on a
  // loaded 2-core machine that takes minutes, not the default minute.
  describe(`metadata server (${name})`, { timeout: 240_000 }, () => {
    let root: string;
    let dataDir: string;
    let server: CmfServerProcess;
    let env: Record<string, string>;
    let n = 0;
    const dir = (label: string) => {
      const d = join(root, `${label}-${n++}`);
      mkdirSync(d, { recursive: true });
      return d;
    };
    const cmf = (args: string[], cwd: string, extra: Record<string, string> = {}) =>
      runCmf(args, { cwd, env: { ...env, ...extra } });
    const api = (route: string, init: RequestInit = {}, token: string | null = TOKEN) =>
      fetch(`${server.url}/api/${route}`, {
        ...init,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(init.headers as Record<string, string>),
        },
      });
    const pushBody = (pipeline: string, payload: string) =>
      JSON.stringify({ exec_uuid: null, json_payload: payload, pipeline_name: pipeline });

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), `cmf-e2e-server-${name}-`));
      dataDir = join(root, 'server-data');
      mkdirSync(join(root, 'home'));
      server = await startCmfServer([
        '--data-dir',
        dataDir,
        '--token',
        TOKEN,
        '--body-limit',
        '2M',
        ...(await databaseArgs()),
      ]);
      env = {
        ...isolatedEnv(join(root, 'home')),
        CMF_SERVER_URL: server.url,
        CMF_SERVER_TOKEN: TOKEN,
        CMF_SERVER_RETRIES: '1',
      };
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      await rm(root, { recursive: true, force: true });
    });

    it('push from a project, pull into an empty directory: the same pipeline; again: exists, no duplicates', async () => {
      const project = dir('project');
      const remote = dir('remote');
      await loggedProject(
        project,
        ['local', '--path', remote, '--cmf-server-url', server.url],
        env,
      );
      // The token from .dvc/config.local (the DVC way to keep a secret out of git).
      await appendFile(
        join(project, '.dvc/config.local'),
        `[db "cmf-server"]\n    password = ${TOKEN}\n`,
      );
      const noEnvToken = { CMF_SERVER_TOKEN: '' };
      const push = await cmf(['metadata', 'push', '-p', 'Test-env', '--json'], project, noEnvToken);
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      const pushed = JSON.parse(push.stdout) as Json;
      expect(pushed).toMatchObject({ status: 'success', pipeline: 'Test-env' });
      // The environment and label files went along, by the names cmf uses.
      expect((pushed.uploads as Json[]).every((u) => u.ok)).toBe(true);
      expect(readdirSync(join(dataDir, 'env')).length).toBeGreaterThan(0);
      expect(readdirSync(join(dataDir, 'labels')).every((f) => /^[0-9a-f]{32}$/.test(f))).toBe(
        true,
      );

      const empty = dir('empty');
      const pull = await cmf(['metadata', 'pull', '-p', 'Test-env', '--json'], empty, {
        CMF_SERVER_URL: server.url,
      });
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      expect(JSON.parse(pull.stdout)).toMatchObject({
        status: 'success',
        path: join(empty, 'mlmd'),
      });
      const local = await exportOf(project, 'Test-env', env);
      const pulled = await exportOf(empty, 'Test-env', env);
      expect(normalised(pulled)).toEqual(normalised(local));

      const again = await cmf(
        ['metadata', 'push', '-p', 'Test-env', '--json'],
        project,
        noEnvToken,
      );
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ status: 'exists' });
      // From a sub-directory, pull merges into the project's mlmd, the file the read
      // commands open there, not into a new ./mlmd.
      const sub = join(project, 'src', 'deeper');
      mkdirSync(sub, { recursive: true });
      const fromSub = await cmf(['metadata', 'pull', '-p', 'Test-env', '--json'], sub, noEnvToken);
      expect(fromSub.stderr).toBe('');
      expect(fromSub.code).toBe(0);
      expect(JSON.parse(fromSub.stdout)).toMatchObject({
        status: 'exists',
        path: join(project, 'mlmd'),
      });
      expect(existsSync(join(sub, 'mlmd'))).toBe(false);
      const fresh = dir('fresh');
      expect(
        (await cmf(['metadata', 'pull', '-p', 'Test-env'], fresh, { CMF_SERVER_URL: server.url }))
          .code,
      ).toBe(0);
      expect(executionUuids(await exportOf(fresh, 'Test-env', env))).toEqual(executionUuids(local));
      const pullAgain = await cmf(['metadata', 'pull', '-p', 'Test-env', '--json'], fresh, {
        CMF_SERVER_URL: server.url,
      });
      expect(JSON.parse(pullAgain.stdout)).toMatchObject({ status: 'exists' });
      expect(executionUuids(await exportOf(fresh, 'Test-env', env))).toEqual(executionUuids(local));

      // A file that is not an MLMD store: the hint must not be to run the same pull again.
      writeFileSync(join(fresh, 'notes.txt'), 'notes\n');
      const notes = await cmf(['metadata', 'pull', '-p', 'Test-env', '-f', 'notes.txt'], fresh, {
        CMF_SERVER_URL: server.url,
      });
      expect(notes.code).toBe(5);
      expect(notes.stderr).toMatch(
        /^Hint: Check the path given with -f\/--file_name: give an MLMD/m,
      );
      expect(notes.stderr).toMatch(/pull the metadata into a new file/);
      expect(readFileSync(join(fresh, 'notes.txt'), 'utf8')).toBe('notes\n');
    });

    it('a run re-ingested with cmf dvc ingest reaches the server and a fresh clone; again: exists, nothing changes', async () => {
      const p = await dvcPipelineProject(dir('ingest'));
      const init = await cmf(
        ['init', 'local', '--path', p.remote, '--git-remote-url', 'https://example.org/p.git'],
        p.dir,
      );
      expect(init.code).toBe(0);
      const push = async () => {
        const r = await cmf(['metadata', 'push', '-p', 'Ingested', '--json'], p.dir);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        return JSON.parse(r.stdout) as Json;
      };
      expect((await cmf(['dvc', 'ingest', '-p', 'Ingested'], p.dir)).code).toBe(0);
      expect(await push()).toMatchObject({ status: 'success' });

      // train@rf ran again: a new model.
      const model = p.stages['train@rf']!.outs[0]!;
      writeFileSync(join(p.dir, model.path), 'retrained');
      const md5 = createHash('md5').update('retrained').digest('hex');
      p.stages['train@rf']!.outs = [{ ...model, md5, size: 9 }];
      writeFileSync(join(p.dir, 'dvc.lock'), lockText(p.stages, 'dvc3'));
      const ingest = await cmf(['dvc', 'ingest', '-p', 'Ingested', '--json'], p.dir);
      expect(ingest.code).toBe(0);
      expect(JSON.parse(ingest.stdout)).toMatchObject({ executions: { reused: 1 } });
      const local = await exportOf(p.dir, 'Ingested', env);
      const rerun = executionUuids(local).find((u) => u.includes(','))!;
      expect(rerun.split(',')).toHaveLength(2);

      expect(await push()).toMatchObject({ status: 'success' });
      expect(await push()).toMatchObject({ status: 'exists' });

      const clone = dir('ingest-clone');
      const pull = await cmf(['metadata', 'pull', '-p', 'Ingested', '--json'], clone);
      expect(pull.code).toBe(0);
      expect(JSON.parse(pull.stdout)).toMatchObject({ status: 'success' });
      const pulled = await exportOf(clone, 'Ingested', env);
      expect(executionUuids(pulled)).toEqual(executionUuids(local));
      expect(JSON.stringify(pulled)).toContain(`${model.path}:${md5}`);
      expect(normalised(pulled)).toEqual(normalised(local));

      // Pulling back into the project changes nothing.
      const before = readFileSync(join(p.dir, 'mlmd'));
      const back = await cmf(['metadata', 'pull', '-p', 'Ingested', '--json'], p.dir);
      expect(back.code).toBe(0);
      expect(JSON.parse(back.stdout)).toMatchObject({ status: 'exists' });
      expect(readFileSync(join(p.dir, 'mlmd')).equals(before)).toBe(true);
    });

    it('a server URL ending in /api is named as not a cmf server (exit 4); an unknown pipeline is exit 3', async () => {
      const wrong = await cmf(['metadata', 'pull', '-p', 'Test-env'], dir('api-url'), {
        CMF_SERVER_URL: `${server.url}/api`,
      });
      expect(wrong.code).toBe(4);
      expect(wrong.stderr).toContain(
        `${server.url}/api/api/mlmd_pull does not exist (HTTP 404): ${server.url}/api does not look like a cmf server`,
      );
      expect(wrong.stderr).toContain(`without /api: try ${server.url}`);
      const missing = await cmf(['metadata', 'pull', '-p', 'No-such-pipeline'], dir('no-pipe'));
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/Pipeline No-such-pipeline doesn't exist on/);
    });

    it('two clients pushing different executions of one pipeline at once: both merged', async () => {
      const remote = dir('remote');
      const [a, b] = [dir('client-a'), dir('client-b')];
      const uuidsA = await smallProject(
        a,
        { pipeline: 'Shared', executions: 3, remote, serverUrl: server.url, tag: 'a' },
        env,
      );
      const uuidsB = await smallProject(
        b,
        { pipeline: 'Shared', executions: 3, remote, serverUrl: server.url, tag: 'b' },
        env,
      );
      const [ra, rb] = await Promise.all([
        cmf(['metadata', 'push', '-p', 'Shared'], a),
        cmf(['metadata', 'push', '-p', 'Shared'], b),
      ]);
      expect([ra.code, rb.code, ra.stderr, rb.stderr]).toEqual([0, 0, '', '']);
      const out = dir('pulled');
      expect((await cmf(['metadata', 'pull', '-p', 'Shared'], out)).code).toBe(0);
      expect(executionUuids(await exportOf(out, 'Shared', env))).toEqual(
        [...uuidsA, ...uuidsB].sort(),
      );
    });

    it('-e pushes and pulls one execution (any case); unknown uuids are exit 3', async () => {
      const project = dir('single');
      const uuids = await smallProject(
        project,
        {
          pipeline: 'Single',
          executions: 2,
          remote: dir('remote'),
          serverUrl: server.url,
          tag: 's',
        },
        env,
      );
      // -e as listings read it: spaces aside, in any letter case (the server gets it as stored).
      const push = await cmf(
        ['metadata', 'push', '-p', 'Single', '-e', ` ${uuids[0]!.toUpperCase()} `, '--json'],
        project,
      );
      expect(push.code).toBe(0);
      expect(JSON.parse(push.stdout)).toMatchObject({
        status: 'success',
        executions: 1,
        merged: { new: 1, alreadyThere: 0 },
      });
      const all = dir('all');
      expect((await cmf(['metadata', 'pull', '-p', 'Single'], all)).code).toBe(0);
      expect(executionUuids(await exportOf(all, 'Single', env))).toEqual([uuids[0]]);

      // The second execution is new, the first was pushed above: the summary says which.
      const rest = await cmf(['metadata', 'push', '-p', 'Single'], project);
      expect(rest.code).toBe(0);
      expect(rest.stdout).toMatch(/\(2 executions sent: 1 new, 1 already there\)/);
      const one = dir('one');
      const pullOne = await cmf(
        ['metadata', 'pull', '-p', 'Single', '-e', uuids[1]!.toUpperCase()],
        one,
      );
      expect(pullOne.code, pullOne.stderr).toBe(0);
      expect(executionUuids(await exportOf(one, 'Single', env))).toEqual([uuids[1]]);

      const unknownPull = await cmf(
        ['metadata', 'pull', '-p', 'Single', '-e', 'no-such-uuid'],
        dir('x'),
      );
      expect(unknownPull.code).toBe(3);
      expect(unknownPull.stderr).toMatch(/no-such-uuid/);
      const unknownPush = await cmf(
        ['metadata', 'push', '-p', 'Single', '-e', 'no-such-uuid'],
        project,
      );
      expect(unknownPush.code).toBe(3);
      // A cut uuid is not the uuid, but the hint suggests it, from the local MLMD file.
      const cut = await cmf(
        ['metadata', 'push', '-p', 'Single', '-e', uuids[1]!.slice(0, 8), '--json'],
        project,
      );
      expect(cut.code).toBe(3);
      expect(JSON.parse(cut.stderr).error).toMatchObject({
        code: 'EXECUTION_NOT_FOUND',
        message: expect.stringContaining(join(project, 'mlmd')),
        data: { suggestions: [uuids[1]] },
      });
      const unknownPipeline = await cmf(['metadata', 'pull', '-p', 'Nope'], dir('y'));
      expect(unknownPipeline.code).toBe(3);
      expect(unknownPipeline.stderr).toMatch(/Pipeline Nope doesn't exist/);
    });

    it("accepts a payload in Python cmf's exact shape, plain and gzip-compressed", async () => {
      const res = await api('mlmd_push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: pushBody('PyShaped', pythonShapedPayload('PyShaped', 'py-uuid-1')),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'success' });
      const gz = await api('mlmd_push', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(pushBody('PyShaped', pythonShapedPayload('PyShaped', 'py-uuid-2'))),
      });
      expect(gz.status).toBe(200);
      expect(await gz.json()).toMatchObject({ status: 'success' });
      const out = dir('py');
      expect((await cmf(['metadata', 'pull', '-p', 'PyShaped'], out)).code).toBe(0);
      const doc = await exportOf(out, 'PyShaped', env);
      expect(executionUuids(doc)).toEqual(['py-uuid-1', 'py-uuid-2']);
      // 3000.0 stayed a double through push and pull.
      const text = (await cmf(['metadata', 'export', '-p', 'PyShaped', '-j', '-'], out)).stdout;
      expect(text).toMatch(/"ratio": 3000\.0/);
      expect(text).toMatch(/"seed": 20170428,/);
      const pipelines = await (await api('pipelines')).json();
      expect(pipelines).toContain('PyShaped');

      // The read routes, with Python's query parameters.
      const get = async (route: string) => {
        const r = await api(route);
        return { status: r.status, body: (await r.json()) as Json };
      };
      const page = await get(
        'executions-by-stage/PyShaped?stage_name=Prepare&record_per_page=1&active_page=2&sort_order=ASC',
      );
      expect(page.status).toBe(200);
      expect(page.body.total_items).toBe(2);
      expect((page.body.items as Json[]).map((e) => e.Execution_uuid)).toEqual(['py-uuid-2']);
      expect(
        (await get('executions-by-stage/PyShaped?filter_value=PY-UUID-1')).body.total_items,
      ).toBe(1);
      expect((await get('pipeline-stages/PyShaped')).body).toEqual(['Prepare']);
      const artifacts = await get('artifacts-by-stage/PyShaped?artifact_type=Dataset');
      expect(artifacts.body.total_items).toBe(1);
      expect((artifacts.body.items as Json[])[0]).toMatchObject({
        type: 'Dataset',
        uri: '236d9502e0283d91f689d7038b8508a2',
        'custom_properties_user-metadata1': 'metadata_value',
      });
      const types = (await get('artifact_types')).body as unknown as string[];
      expect(types).toContain('Dataset');
      expect(types).not.toContain('Environment');
      expect((await get('executions-by-stage/Nope')).status).toBe(404);
      expect((await get('executions-by-stage/PyShaped?record_per_page=0')).status).toBe(400);
    });

    it('a password in the server URL is never shown: not in --json, not in errors', async () => {
      const res = await api('mlmd_push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: pushBody('Masked', pythonShapedPayload('Masked', 'mask-uuid-1')),
      });
      expect(res.status).toBe(200);
      const withPassword = server.url.replace('http://', 'http://alice:pw-s3cret@');
      const masked = server.url.replace('http://', 'http://alice:****@');
      const urlEnv = { CMF_SERVER_URL: withPassword };
      const pull = await cmf(['metadata', 'pull', '-p', 'Masked', '--json'], dir('m'), urlEnv);
      expect(pull.code, pull.stderr).toBe(0);
      expect(JSON.parse(pull.stdout)).toMatchObject({ status: 'success', server: masked });
      const missing = await cmf(['metadata', 'pull', '-p', 'Nope'], dir('m'), urlEnv);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`doesn't exist on ${masked}`);
      const down = await cmf(['metadata', 'pull', '-p', 'Masked', '--json'], dir('m'), {
        CMF_SERVER_URL: `http://alice:pw-s3cret@127.0.0.1:${await freePort()}`,
        CMF_SERVER_RETRIES: '0',
      });
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/alice:\*\*\*\*@127\.0\.0\.1/);
      for (const r of [pull, missing, down]) expect(r.stdout + r.stderr).not.toContain('pw-s3cret');
    });

    it('NaN and infinities as Python writes them: stored, pulled, exported and pushed back the same way', async () => {
      // Python's json.dumps writes a diverged metric as the bare word NaN (json.loads reads it).
      const payload = pythonShapedPayload('PyDiverged', 'nan-uuid-1')
        .replace('"ratio": 3000.0', '"ratio": 3000.0, "loss": NaN, "best": -Infinity')
        .replace(
          '"user-metadata1":"metadata_value"',
          '"user-metadata1":"metadata_value","peak":Infinity',
        );
      expect(payload.match(/NaN|Infinity/g)).toHaveLength(3);
      const res = await api('mlmd_push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: pushBody('PyDiverged', payload),
      });
      expect(await res.json()).toMatchObject({ status: 'success' });
      expect(res.status).toBe(200);
      const pulled = await api('mlmd_pull', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pipeline_name: 'PyDiverged' }),
      });
      const answer = await pulled.text();
      expect(answer).toContain('"loss": NaN');
      expect(answer).toContain('"best": -Infinity');
      expect(answer).toContain('"peak": Infinity');

      const out = dir('nan');
      const pull = await cmf(['metadata', 'pull', '-p', 'PyDiverged', '--json'], out);
      expect(pull.stderr).toBe('');
      expect(JSON.parse(pull.stdout)).toMatchObject({ status: 'success', executions: 1 });
      const text = (await cmf(['metadata', 'export', '-p', 'PyDiverged', '-j', '-'], out)).stdout;
      expect(text).toMatch(/"loss": NaN,/);
      expect(text).toMatch(/"best": -Infinity,/);
      expect(text).toMatch(/"peak": Infinity,/);
      // The pulled store pushed back: the server reads the document and has it all already.
      const push = await cmf(['metadata', 'push', '-p', 'PyDiverged', '--json'], out);
      expect(push.stderr).toBe('');
      expect(JSON.parse(push.stdout)).toMatchObject({ status: 'exists' });
    });

    it('mlmd_pull without a pipeline name: every pipeline, or with last_sync_time only what changed since', async () => {
      const push = async (pipeline: string, uuid: string) => {
        const r = await api('mlmd_push', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: pushBody(pipeline, pythonShapedPayload(pipeline, uuid)),
        });
        expect(await r.json()).toMatchObject({ status: 'success' });
      };
      const pull = async (body: Json) => {
        const r = await api('mlmd_pull', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(r.status).toBe(200);
        // Python's NaN and Infinity words may be in it (another test pushes them).
        return parseExactJson(await r.text()) as unknown as { Pipeline: Json[] };
      };
      const latest = (doc: { Pipeline: Json[] }) => {
        let t = 0;
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object') {
            for (const [k, x] of Object.entries(v as Json)) {
              if (k === 'last_update_time_since_epoch') t = Math.max(t, x as number);
              else walk(x);
            }
          }
        };
        walk(doc);
        return t;
      };
      // What each pipeline holds: stage names and their executions' uuids.
      const shape = (doc: { Pipeline: Json[] }, names: string[]) =>
        Object.fromEntries(
          doc.Pipeline.filter((p) => names.includes(p.name as string)).map((p) => [
            p.name,
            (p.stages as Json[]).map((s) => [
              s.name,
              executionUuids({ Pipeline: [{ stages: [s] }] }),
            ]),
          ]),
        );

      await push('SyncA', 'sync-a-1');
      const first = await pull({});
      const since = latest(first);
      // Later writes get a later last_update_time_since_epoch (ms): let the clock pass `since`.
      while (Date.now() <= since + 1) await new Promise((r) => setTimeout(r, 2));
      await push('SyncA', 'sync-a-2');
      await push('SyncB', 'sync-b-1');

      const names = ['SyncA', 'SyncB'];
      expect(shape(await pull({}), names)).toEqual({
        SyncA: [['SyncA/Prepare', ['sync-a-1', 'sync-a-2']]],
        SyncB: [['SyncB/Prepare', ['sync-b-1']]],
      });
      // Only what changed after `since`: the new execution of SyncA (its stage and pipeline
      // around it) and all of SyncB; pipelines of earlier tests are left out altogether.
      const changed = await pull({ last_sync_time: since });
      expect(shape(changed, names)).toEqual({
        SyncA: [['SyncA/Prepare', ['sync-a-2']]],
        SyncB: [['SyncB/Prepare', ['sync-b-1']]],
      });
      expect(changed.Pipeline.map((p) => p.name)).toEqual(names);
      // The kept execution comes with its events and their artifacts whole.
      const exe = ((changed.Pipeline[0]!.stages as Json[])[0]!.executions as Json[])[0]!;
      expect((exe.events as Json[]).map((e) => (e.artifact as Json).type)).toEqual(['Dataset']);
      expect(await pull({ last_sync_time: latest(changed) })).toEqual({ Pipeline: [] });
      // 0 and null mean everything; with a pipeline name last_sync_time is ignored (as Python does).
      expect(shape(await pull({ last_sync_time: 0 }), names)).toEqual(shape(await pull({}), names));
      expect(shape(await pull({ last_sync_time: null }), names)).toEqual(
        shape(await pull({}), names),
      );
      expect(
        shape(await pull({ pipeline_name: 'SyncA', last_sync_time: latest(changed) }), names),
      ).toEqual({ SyncA: [['SyncA/Prepare', ['sync-a-1', 'sync-a-2']]] });
    });

    it('malformed bodies are 400, oversized ones 413 (gzip counted inflated), version_update 422', async () => {
      const post = (
        body: string | Buffer,
        headers: Record<string, string> = { 'content-type': 'application/json' },
      ) => api('mlmd_push', { method: 'POST', headers, body });
      for (const body of [
        '{not json',
        JSON.stringify({ pipeline_name: 'p' }),
        JSON.stringify({ json_payload: '{}', pipeline_name: '   ' }),
        pushBody('p', '{not json'),
        pushBody('p', '[1, 2]'),
        pushBody('p', '{"Pipeline": []}'),
      ]) {
        const r = await post(body);
        expect(r.status, body).toBe(400);
        expect(typeof ((await r.json()) as Json).detail).toBe('string');
      }
      expect((await post(gzipSync('{"a":'))).status).toBe(400);
      const notGzip = await post('plain', {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(notGzip.status).toBe(400);

      const big = pushBody('p', JSON.stringify({ Pipeline: [], pad: 'x'.repeat(3 * 1024 * 1024) }));
      // Answered 413 before the body is read: the server drains it so the client sees the
      // answer rather than a reset connection, every time.
      for (let i = 0; i < 3; i++) expect((await post(big)).status).toBe(413);
      expect(
        (
          await post(gzipSync(big), {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
          })
        ).status,
      ).toBe(413);

      const old = pythonShapedPayload('Old', 'u').replace('"Execution_uuid":"u",', '');
      const r = await post(pushBody('Old', old));
      expect(r.status).toBe(422);
      expect(await r.json()).toEqual({ detail: 'version_update' });
      expect(server.log()).not.toMatch(/ 500 /);
    });

    it('a push body arriving in many small pieces merges as the same body in one piece; an invalid execution at its very end changes nothing', async () => {
      // 520 executions: several merge batches. Notes with non-ASCII text, quotes and
      // backslashes, whose bytes and escapes the pieces split anywhere.
      const doc = (pipeline: string, edit?: (d: Json) => void) => {
        const d = JSON.parse(documentText(520).replaceAll('Batch', pipeline)) as Json;
        let i = 0;
        for (const p of d.Pipeline as Json[])
          for (const st of p.stages as Json[])
            for (const e of st.executions as Json[])
              (e.custom_properties as Json).note = `caf\u00e9 "${i++}" \\ \ud83d\ude00 \u2028`;
        edit?.(d);
        return JSON.stringify(d);
      };
      /** POST /api/mlmd_push written in pieces of `size` bytes, each sent on its own. */
      const pushInPieces = (body: string, size: number) =>
        new Promise<{ status: number; body: Json }>((resolve, reject) => {
          const req = request(`${server.url}/api/mlmd_push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          });
          req.on('error', reject);
          req.on('response', (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, body: JSON.parse(text) as Json }),
            );
          });
          req.flushHeaders();
          req.socket?.setNoDelay(true);
          const bytes = Buffer.from(body, 'utf8');
          void (async () => {
            for (let i = 0; i < bytes.length; i += size) {
              req.write(bytes.subarray(i, i + size));
              await new Promise((r) => setImmediate(r));
            }
            req.end();
          })();
        });
      const pulled = async (pipeline: string) => {
        const r = await api('mlmd_pull', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pipeline_name: pipeline }),
        });
        expect(r.status).toBe(200);
        return r.text();
      };

      const whole = await api('mlmd_push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: pushBody('SplitA', doc('SplitA')),
      });
      expect(whole.status).toBe(200);
      const split = await pushInPieces(pushBody('SplitB', doc('SplitB')), 1021);
      expect(split).toMatchObject({ status: 200, body: { status: 'success', executions: 520 } });
      const a = await pulled('SplitA');
      const b = await pulled('SplitB');
      // (The two pipelines share artifacts by uri: url entries of both are in each.)
      const same = (text: string) =>
        normalised(JSON.parse(text.replace(/Split[AB]/g, 'X')) as Json);
      expect(same(b)).toEqual(same(a));
      expect(b).toContain('caf\\u00e9 \\"0\\" \\\\ \\ud83d\\ude00 \\u2028');

      // One more execution, invalid, at the very end: 400 with the whole text's message.
      const bad = doc('SplitB', (d) => {
        const stage = ((d.Pipeline as Json[])[0]!.stages as Json[])[1]!;
        const executions = stage.executions as Json[];
        const last = structuredClone(executions[executions.length - 1]!);
        (last.properties as Json).Execution_uuid = 'uuid-new';
        last.events = 3;
        executions.push(last);
      });
      const refused = await pushInPieces(pushBody('SplitB', bad), 4093);
      expect(refused).toEqual({
        status: 400,
        body: {
          detail:
            'Invalid metadata document at Pipeline[0].stages[1].executions[260].events: must be an array',
        },
      });
      expect(await pulled('SplitB')).toBe(b);
      expect(server.log()).not.toMatch(/ 500 /);
    });

    it('without a valid bearer token every route but GET / is 401', async () => {
      expect((await api('pipelines', {}, null)).status).toBe(401);
      expect((await api('pipelines', {}, 'wrong')).status).toBe(401);
      expect((await api('mlmd_pull', { method: 'POST' }, null)).status).toBe(401);
      // A large body refused before it is read still gets its answer (not a reset connection).
      const big = { method: 'POST', body: 'x'.repeat(1536 * 1024) };
      for (let i = 0; i < 3; i++) expect((await api('mlmd_push', big, null)).status).toBe(401);
      // A valid push without a token is refused and never reaches the store.
      const sneaky = await api(
        'mlmd_push',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: pushBody('NoToken', pythonShapedPayload('NoToken', 'no-token-uuid')),
        },
        'wrong',
      );
      expect(sneaky.status).toBe(401);
      const pipelines = (await (await api('pipelines')).json()) as string[];
      expect(pipelines).not.toContain('NoToken');
      expect((await fetch(`${server.url}/api`)).status).toBe(401);
      const live = await fetch(`${server.url}/`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual(['cmf-server']);
      const r = await cmf(['metadata', 'pull', '-p', 'Test-env'], dir('t'), {
        CMF_SERVER_URL: server.url,
        CMF_SERVER_TOKEN: 'wrong',
      });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/401/);
      expect(r.stderr).toMatch(/CMF_SERVER_TOKEN/);
    });

    it('upload names that would leave the data directory are refused', async () => {
      const upload = (route: string, filename: string) => {
        const form = new FormData();
        form.append('file', new Blob(['evil']), filename);
        return api(route, { method: 'POST', body: form });
      };
      for (const name of [
        '../evil.txt',
        '../../etc/evil.txt',
        '/tmp/evil.txt',
        'a/../../evil.txt',
        '..\\evil.txt',
      ]) {
        expect((await upload('python-env', name)).status, name).toBe(400);
        expect((await upload('tensorboard?pipeline_name=P', name)).status, name).toBe(400);
      }
      expect((await upload('tensorboard?pipeline_name=..', 'ok.txt')).status).toBe(400);
      expect((await upload('tensorboard?pipeline_name=a%2F..%2F..', 'ok.txt')).status).toBe(400);
      expect(existsSync(join(root, 'evil.txt'))).toBe(false);
      expect(existsSync(join(dataDir, 'evil.txt'))).toBe(false);
      // A relative path below the pipeline's directory is fine.
      expect((await upload('tensorboard?pipeline_name=P', 'run1/events.out')).status).toBe(200);
      expect(readFileSync(join(dataDir, 'tensorboard-logs/P/run1/events.out'), 'utf8')).toBe(
        'evil',
      );
      const env = await api('python-env?file_name=..%2F..%2Fsecret.txt');
      expect(env.status).toBe(400);
    });

    it('-t uploads a tensorboard directory under the pipeline name', async () => {
      const project = dir('tb');
      await smallProject(
        project,
        { pipeline: 'Tb', executions: 1, remote: dir('remote'), serverUrl: server.url, tag: 't' },
        env,
      );
      mkdirSync(join(project, 'logs/run1'), { recursive: true });
      writeFileSync(join(project, 'logs/run1/events.1'), 'e1');
      writeFileSync(join(project, 'logs/events.0'), 'e0');
      const r = await cmf(['metadata', 'push', '-p', 'Tb', '-t', 'logs', '--json'], project);
      expect(r.code).toBe(0);
      expect(listFiles(join(dataDir, 'tensorboard-logs/Tb'))).toEqual([
        'events.0',
        'run1/events.1',
      ]);
      const bad = await cmf(['metadata', 'push', '-p', 'Tb', '-t', 'nowhere'], project);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/tensorboard/);
    });

    it('repo push / pull against a bare git repository and a local artifact remote; a failing git step is named', async () => {
      const bare = dir('origin.git');
      execFileSync('git', ['init', '-q', '--bare', bare]);
      const remote = dir('remote');
      const project = dir('repo-project');
      await loggedProject(
        project,
        ['local', '--path', remote, '--cmf-server-url', server.url],
        env,
      );
      execFileSync('git', ['remote', 'set-url', 'cmf_origin', bare], { cwd: project });
      const push = await cmf(['repo', 'push', '-p', 'Test-env', '--json'], project);
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      const steps = (JSON.parse(push.stdout) as Json).steps as Json[];
      expect(steps.map((s) => s.step)).toEqual([
        'artifact push',
        'metadata push',
        'git pull',
        'git push',
      ]);
      // A first push: the branch is not on the remote, nothing to pull.
      expect(steps[2]!.result).toMatchObject({ pulled: false });
      const branch = execFileSync('git', ['branch', '--show-current'], {
        cwd: project,
        encoding: 'utf8',
      }).trim();
      expect(execFileSync('git', ['branch', '--list'], { cwd: bare, encoding: 'utf8' })).toContain(
        branch,
      );
      execFileSync('git', ['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: bare });
      expect(listFiles(remote).length).toBeGreaterThan(5);

      // Another user: a clone with the project's config, no MLMD file, no cache.
      const clone = join(root, `clone-${n++}`);
      execFileSync('git', ['clone', '-q', '-o', 'cmf_origin', bare, clone]);
      mkdirSync(join(clone, '.dvc'), { recursive: true });
      for (const f of ['.cmfconfig', '.dvc/config'])
        writeFileSync(join(clone, f), readFileSync(join(project, f)));
      rmSync(join(clone, 'mlmd'), { force: true });
      const pull = await cmf(['repo', 'pull', '-p', 'Test-env', '--json'], clone);
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      expect(((JSON.parse(pull.stdout) as Json).steps as Json[]).map((s) => s.step)).toEqual([
        'metadata pull',
        'artifact pull',
        'git pull',
      ]);
      expect(readFileSync(join(clone, 'artifacts/images/sub/b.bin'))).toEqual(
        Buffer.from([0, 1, 2, 255]),
      );
      // The server's Test-env also holds the first test's executions (another project).
      expect(executionUuids(await exportOf(clone, 'Test-env', env))).toEqual(
        expect.arrayContaining(executionUuids(await exportOf(project, 'Test-env', env))),
      );

      // The clone pushes a commit; the project's repo push merges it before pushing (§3.10).
      const gitIn = (cwd: string, ...args: string[]) =>
        execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
      gitIn(clone, 'config', 'user.name', 'Other');
      gitIn(clone, 'config', 'user.email', 'other@example.com');
      const commitIn = (cwd: string, file: string, text: string) => {
        writeFileSync(join(cwd, file), text);
        gitIn(cwd, 'add', file);
        gitIn(cwd, 'commit', '-qm', `edit ${file}`);
      };
      commitIn(clone, 'theirs.txt', 'theirs\n');
      gitIn(clone, 'push', '-q', 'cmf_origin', branch);
      commitIn(project, 'mine.txt', 'mine\n');
      const merged = await cmf(['repo', 'push', '-p', 'Test-env', '--json'], project, {
        GIT_EDITOR: 'false',
      });
      expect(merged.stderr).toBe('');
      expect(merged.code).toBe(0);
      const mergedSteps = (JSON.parse(merged.stdout) as Json).steps as Json[];
      expect(mergedSteps[2]).toMatchObject({ step: 'git pull', result: { pulled: true } });
      expect(gitIn(bare, 'ls-tree', '--name-only', branch)).toMatch(/mine\.txt\ntheirs\.txt/);

      // Both change one file: the checks foresee the conflict and nothing is transferred.
      gitIn(clone, 'pull', '-q', '--no-rebase', 'cmf_origin', branch);
      commitIn(clone, 'shared.txt', 'theirs\n');
      gitIn(clone, 'push', '-q', 'cmf_origin', branch);
      commitIn(project, 'shared.txt', 'mine\n');
      const conflict = await cmf(['repo', 'push', '-p', 'Test-env', '--json'], project);
      expect(conflict.code).toBe(4);
      const refused = JSON.parse(conflict.stderr) as {
        error: { code: string; message: string; data: Json };
      };
      expect(refused.error.code).toBe('GIT_MERGE_WOULD_CONFLICT');
      expect(refused.error.message).toMatch(/would stop on conflicts in shared\.txt/);
      expect(refused.error.data).toMatchObject({
        failedStep: 'checks',
        completed: [],
        error: { data: { paths: ['shared.txt'] } },
      });
      expect(existsSync(join(project, '.git', 'MERGE_HEAD'))).toBe(false);

      execFileSync('git', ['remote', 'set-url', 'cmf_origin', join(root, 'no-such-repo')], {
        cwd: project,
      });
      // An unreachable cmf_origin is found by the checks, before anything is pushed.
      const failed = await cmf(['repo', 'push', '-p', 'Test-env', '--json'], project);
      expect(failed.code).toBe(1);
      const err = JSON.parse(failed.stderr) as { error: { message: string; data: Json } };
      expect(err.error.message).toMatch(/^git ls-remote exited with .*no-such-repo/);
      expect(err.error.data.failedStep).toBe('checks');
      expect(err.error.data.completed).toEqual([]);
    });

    it('an unreachable server is a clear error and exit 1', async () => {
      const port = await freePort();
      const r = await cmf(['metadata', 'pull', '-p', 'Test-env'], dir('down'), {
        CMF_SERVER_URL: `http://127.0.0.1:${port}/`,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `cannot reach the cmf server at http://127\\.0\\.0\\.1:${port}/api/mlmd_pull \\(ECONNREFUSED\\)`,
        ),
      );
      expect(r.stderr).toMatch(/Hint: Is the server running/);
      // Under repo pull the step is named once, not "metadata pull failed: metadata pull: ...".
      // (A project with cmf_origin and an artifact remote: repo pull checks them first.)
      const down = dir('down-repo');
      const init = await cmf(
        ['init', 'local', '--path', dir('remote'), '--git-remote-url', 'https://example.org/p.git'],
        down,
      );
      expect(init.code).toBe(0);
      // repo pull asks cmf_origin for the branch first: a bare repository that has it.
      const origin = dir('down-origin.git');
      const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd });
      git(origin, 'init', '-q', '--bare');
      git(down, 'remote', 'set-url', 'cmf_origin', origin);
      git(
        down,
        '-c',
        'user.name=T',
        '-c',
        'user.email=t@e.org',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'first',
      );
      git(down, 'push', '-q', 'cmf_origin', 'HEAD');
      const repo = await cmf(['repo', 'pull', '-p', 'Test-env'], down, {
        CMF_SERVER_URL: `http://127.0.0.1:${port}/`,
        CMF_SERVER_RETRIES: '0',
      });
      expect(repo.code).toBe(1);
      expect(repo.stderr).toMatch(/^Error: metadata pull failed: cannot reach the cmf server at /m);
      expect(repo.stderr).toMatch(/Not run: artifact pull, git pull\./);
    });
  });
}
