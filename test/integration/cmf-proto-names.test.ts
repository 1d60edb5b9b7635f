/**
 * Properties named as what every JS object inherits (`__proto__`, `constructor`, `toString`,
 * `hasOwnProperty`) are ordinary names in MLMD: logged through the Cmf API (from parsed JSON,
 * which makes `__proto__` an own key), or written by Python cmf, they must read back, list,
 * export, and go through a push to our metadata server and a pull from it unchanged.
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Cmf, type CustomProperties } from '../../src/index.js';
import { exportText } from '../../src/cmf/export-json.js';
import { readTable } from '../../src/cmf/parquet.js';
import { artifactRows, artifactRowsJson, executionRows } from '../../src/cmf/query.js';
import { MlmdStore, SqliteAsyncStore, type Properties } from '../../src/mlmd/index.js';
import { createServer } from '../../src/server/app.js';
import { ServerClient } from '../../src/server/client.js';
import { pushMetadata } from '../../src/server/metadata-push.js';
import { pullMetadata } from '../../src/server/metadata-pull.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { tempDir } from '../helpers/tmp.js';

const ODD = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
/** As a user's JSON config would give them: own keys, one value of each kind. */
const CUSTOM_JSON = '{"__proto__": "x", "constructor": 1, "toString": "y", "hasOwnProperty": 2.5}';
// Entries, not object literals: a literal's `__proto__` would set the object's prototype.
// In the order records and exports hold them: by name, as UTF-8 bytes.
const CUSTOM_PLAIN: [string, unknown][] = [
  ['__proto__', 'x'],
  ['constructor', 1],
  ['hasOwnProperty', 2.5],
  ['toString', 'y'],
];
const CUSTOM: [string, unknown][] = [
  ['__proto__', { type: 'string', value: 'x' }],
  ['constructor', { type: 'int', value: 1 }],
  ['hasOwnProperty', { type: 'double', value: 2.5 }],
  ['toString', { type: 'string', value: 'y' }],
];

/** Own keys and values of a property map, prototype checked to be Object.prototype. */
function ownEntries(props: object): [string, unknown][] {
  expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
  return Object.entries(props);
}

/** A project whose MLMD file has one execution and one dataset, both with the odd names. */
async function logged(): Promise<{ dir: string; mlmd: string }> {
  const p = await cmfProject();
  writeFileSync(join(p.dir, 'data.csv'), 'a,b\n1,2\n');
  const cmf = await Cmf.open({ filepath: 'mlmd', pipelineName: 'P', cwd: p.dir });
  await cmf.createContext('S');
  const e = await cmf.createExecution('S', JSON.parse(CUSTOM_JSON) as CustomProperties);
  // What the API returns is a plain object holding every name as a key.
  expect(ownEntries(e.customProperties).filter(([k]) => ODD.includes(k))).toEqual(CUSTOM);
  await cmf.logDataset('data.csv', 'input', JSON.parse(CUSTOM_JSON) as CustomProperties);
  await cmf.finalize();
  const mlmd = join(p.dir, 'mlmd');
  // Python cmf declares what it likes: `__proto__` and `constructor` on the Dataset type
  // (its artifacts get both), `__proto__` on the execution's type.
  const db = new Database(mlmd);
  const declare = (node: 'Artifact' | 'Execution', typeId: number, name: string) => {
    db.prepare('INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, 3)').run(
      typeId,
      name,
    );
    db.prepare(
      `INSERT INTO ${node}Property (${node.toLowerCase()}_id, name, is_custom_property, string_value) SELECT id, ?, 0, 'declared' FROM ${node} WHERE type_id = ?`,
    ).run(name, typeId);
  };
  const dataset = db.prepare("SELECT id FROM Type WHERE name = 'Dataset'").pluck().get() as number;
  declare('Artifact', dataset, '__proto__');
  declare('Artifact', dataset, 'constructor');
  declare(
    'Execution',
    db.prepare('SELECT type_id FROM Execution').pluck().get() as number,
    '__proto__',
  );
  db.close();
  return { dir: p.dir, mlmd };
}

function oddOnly(props: Properties): [string, unknown][] {
  return ownEntries(props).filter(([k]) => ODD.includes(k));
}

describe('properties named __proto__, constructor, toString, hasOwnProperty', () => {
  it('are written by the Cmf API and read back from the file', async () => {
    const { mlmd } = await logged();
    const db = new Database(mlmd, { readonly: true });
    const names = db
      .prepare(
        'SELECT name FROM ExecutionProperty WHERE is_custom_property = 1 UNION ALL SELECT name FROM ArtifactProperty WHERE is_custom_property = 1',
      )
      .pluck()
      .all();
    db.close();
    expect(names.filter((n) => ODD.includes(n as string)).sort()).toEqual([...ODD, ...ODD].sort());

    const store = MlmdStore.open(mlmd, { readonly: true });
    onTestFinished(() => store.close());
    const [execution] = store.executions.list();
    expect(oddOnly(execution!.customProperties)).toEqual(CUSTOM);
    const dataset = store.artifacts.list().find((a) => a.typeName === 'Dataset')!;
    expect(oddOnly(dataset.customProperties)).toEqual(CUSTOM);
    expect(ownEntries(dataset.properties)).toContainEqual([
      '__proto__',
      { type: 'string', value: 'declared' },
    ]);
  });

  it('are updated when a dataset is logged again', async () => {
    const { dir, mlmd } = await logged();
    const cmf = await Cmf.open({ filepath: 'mlmd', pipelineName: 'P', cwd: dir });
    await cmf.createContext('S');
    await cmf.createExecution('S');
    const again = '{"__proto__": "z", "toString": "w"}';
    await cmf.logDataset('data.csv', 'input', JSON.parse(again) as CustomProperties);
    await cmf.finalize();
    const store = MlmdStore.open(mlmd, { readonly: true });
    onTestFinished(() => store.close());
    const dataset = store.artifacts.list().find((a) => a.typeName === 'Dataset')!;
    expect(oddOnly(dataset.customProperties)).toEqual([
      ['__proto__', { type: 'string', value: 'z' }],
      CUSTOM[1],
      CUSTOM[2],
      ['toString', { type: 'string', value: 'w' }],
    ]);
  });

  it('are columns of a dataslice, also for files that lack them', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'a.csv'), 'a\n');
    writeFileSync(join(p.dir, 'b.csv'), 'b\n');
    const cmf = await Cmf.open({ filepath: 'mlmd', pipelineName: 'P', cwd: p.dir });
    await cmf.createExecution('train');
    const slice = cmf.createDataslice('slice');
    await slice.addData('a.csv', JSON.parse(CUSTOM_JSON) as CustomProperties);
    await slice.addData('b.csv', { other: 2 });
    await slice.commit();
    await cmf.updateDataslice(
      'slice',
      'b.csv',
      JSON.parse('{"__proto__": "q"}') as CustomProperties,
    );
    await cmf.finalize();
    const store = MlmdStore.open(join(p.dir, 'mlmd'), { readonly: true });
    const [dataslice] = store.artifacts.list().filter((a) => a.typeName === 'Dataslice');
    store.close();
    const file = join(p.dir, dataslice!.name!.split(':')[0]!);
    const rows = await readTable(file);
    expect(rows.map((r) => Object.getPrototypeOf(r) === Object.prototype)).toEqual([true, true]);
    expect(rows.map((r) => Object.entries(r))).toEqual([
      [
        ['Path', 'a.csv'],
        ['hash', expect.any(String)],
        ['__proto__', 'x'],
        ['constructor', 1],
        ['toString', 'y'],
        ['hasOwnProperty', 2.5],
        ['other', null],
      ],
      [
        ['Path', 'b.csv'],
        ['hash', expect.any(String)],
        ['__proto__', 'q'],
        ['constructor', null],
        ['toString', null],
        ['hasOwnProperty', null],
        ['other', 2],
      ],
    ]);
  });

  it('are listed (execution list, artifact list --json) and exported', async () => {
    const { mlmd } = await logged();
    const store = MlmdStore.open(mlmd, { readonly: true });
    onTestFinished(() => store.close());
    const [row] = executionRows(store, 'P');
    expect(Object.hasOwn(row!, '__proto__')).toBe(true);
    expect(row!.__proto__).toBe('declared');
    for (const [k, v] of CUSTOM_PLAIN) {
      expect(row![`custom_properties_${k}`]).toEqual(v);
    }
    const artifacts = JSON.parse(artifactRowsJson(store, 'P').text()) as Record<string, unknown>[];
    const dataset = artifacts.find((a) => a.type === 'Dataset')!;
    expect(Object.hasOwn(dataset, '__proto__')).toBe(true);
    expect(dataset.__proto__).toBe('declared');
    const rowObject = artifactRows(store, 'P').find((a) => a.type === 'Dataset')!;
    expect(Object.getPrototypeOf(rowObject)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(rowObject))).toEqual(dataset);

    let text = '';
    for await (const piece of (await exportText(SqliteAsyncStore.wrap(store), 'P', { indent: 2 }))
      .chunks)
      text += piece;
    const doc = JSON.parse(text) as ExportDoc;
    const exec = doc.Pipeline[0]!.stages[0]!.executions[0]!;
    expect(Object.hasOwn(exec.properties, '__proto__')).toBe(true);
    expect(pick(exec.custom_properties)).toEqual(CUSTOM_PLAIN);
    const artifact = exec.events.map((e) => e.artifact).find((a) => a.type === 'Dataset')!;
    expect(pick(artifact.custom_properties)).toEqual(CUSTOM_PLAIN);
    expect(Object.hasOwn(artifact.properties, '__proto__')).toBe(true);
    expect(artifact.properties.__proto__).toBe('declared');
    // The double keeps its Python float form.
    expect(text).toContain('"hasOwnProperty": 2.5');
  });

  it('go through a push to our metadata server and a pull from it', async () => {
    const { dir, mlmd } = await logged();
    const serverStore = SqliteAsyncStore.wrap(MlmdStore.open(join(await tempDir(), 'server')));
    const app = await createServer({ store: serverStore, dataDir: await tempDir() });
    onTestFinished(async () => {
      await app.close();
      await serverStore.close();
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const client = new ServerClient({ url: `http://127.0.0.1:${port}`, retries: 0 });

    const pushed = await pushMetadata({ client, mlmdPath: mlmd, pipeline: 'P', cwd: dir });
    expect(pushed.status).toBe('success');
    const serverExec = (await serverStore.executions.list())[0]!;
    expect(oddOnly(serverExec.customProperties)).toEqual(CUSTOM);

    // The server's listing route shows them as `cmf execution list` does.
    const res = await fetch(
      `http://127.0.0.1:${port}/api/artifacts-by-stage/P?sort_field=constructor&sort_order=asc&active_page=1&record_per_page=10`,
    );
    const listed = (await res.json()) as { items: Record<string, unknown>[] };
    // Sorted by a field only the dataset has: the record without it first.
    expect(listed.items.map((a) => a.type)).toEqual(['Environment', 'Dataset']);
    const dataset = listed.items.find((a) => a.type === 'Dataset')!;
    expect(dataset.__proto__).toBe('declared');
    expect(Object.hasOwn(dataset, '__proto__')).toBe(true);
    expect(dataset.custom_properties___proto__).toBe('x');

    const target = join(await tempDir(), 'pulled');
    const pulled = await pullMetadata({ client, mlmdPath: target, pipeline: 'P' });
    expect(pulled.status).toBe('success');
    const back = MlmdStore.open(target, { readonly: true });
    onTestFinished(() => back.close());
    const [execution] = back.executions.list();
    expect(oddOnly(execution!.customProperties)).toEqual(CUSTOM);
    const artifact = back.artifacts.list().find((a) => a.typeName === 'Dataset')!;
    expect(oddOnly(artifact.customProperties)).toEqual(CUSTOM);
    expect(ownEntries(artifact.properties)).toContainEqual([
      '__proto__',
      { type: 'string', value: 'declared' },
    ]);
  });
});

interface ExportDoc {
  Pipeline: {
    stages: {
      executions: {
        properties: Record<string, unknown>;
        custom_properties: Record<string, unknown>;
        events: {
          artifact: {
            type: string;
            properties: Record<string, unknown>;
            custom_properties: Record<string, unknown>;
          };
        }[];
      }[];
    }[];
  }[];
}

/** The odd names of a parsed JSON object, as own entries. */
function pick(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).filter(([k]) => ODD.includes(k));
}
