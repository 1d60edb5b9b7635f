/**
 * The asynchronous MLMD API's contract, run case for case against both backends: an MlmdStore
 * SQLite file (SqliteAsyncStore) and a real PostgreSQL 15 (PostgresMlmdStore), one server
 * for the file and a fresh database per test. Each case states the expected records
 * literally, so both stores must return the same; one case also compares a whole scenario's
 * output between the two byte for byte.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CmfError } from '../../src/errors/index.js';
import {
  ArtifactState,
  EventType,
  ExecutionState,
  MlmdStore,
  PropertyType,
  SqliteAsyncStore,
  TypeKind,
  boolValue,
  doubleValue,
  intValue,
  protoValue,
  stringValue,
  structValue,
  type AsyncMlmdStore,
} from '../../src/mlmd/index.js';
import { PostgresMlmdStore } from '../../src/mlmd/postgres/index.js';
import { tempDir } from '../helpers/tmp.js';
import { freePort } from '../servers/common.js';
import { startPostgres, type PostgresServer } from '../servers/postgres.js';
import { failure } from '../helpers/failure.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const opened: AsyncMlmdStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

/** A clock the test advances by hand. */
function manualClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, tick: (ms = 1) => void (t += ms) };
}

/** One empty store location of a backend; `open` may be called again to reopen it. */
interface Fresh {
  open(): Promise<AsyncMlmdStore>;
  /** Sets MLMDEnv.schema_version behind the store's back. */
  setSchemaVersion(v: number): Promise<void>;
  /** Something that changes whenever the stored data changes. */
  fingerprint(): Promise<string>;
}

interface Backend {
  name: string;
  fresh(clock?: () => number): Promise<Fresh>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh(clock) {
    const path = join(await tempDir(), 'mlmd');
    return {
      async open() {
        const s = SqliteAsyncStore.wrap(MlmdStore.open(path, clock ? { clock } : {}));
        opened.push(s);
        return s;
      },
      async setSchemaVersion(v) {
        const db = new Database(path);
        db.prepare('UPDATE MLMDEnv SET schema_version = ?').run(v);
        db.close();
      },
      async fingerprint() {
        return createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async fresh(clock) {
    const url = await server.createDatabase();
    const db = new URL(url).pathname.slice(1);
    return {
      async open() {
        const s = await PostgresMlmdStore.open(url, clock ? { clock } : {});
        opened.push(s);
        return s;
      },
      async setSchemaVersion(v) {
        await server.query(db, 'UPDATE MLMDEnv SET schema_version = $1', [v]);
      },
      async fingerprint() {
        const r = await server.query(
          db,
          `SELECT string_agg(table_name || ':' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name) AS cols,
             (SELECT string_agg(schema_version::text, ',') FROM mlmdenv) AS versions,
             (SELECT count(*) FROM type) AS types
           FROM information_schema.columns WHERE table_schema = 'public'`,
        );
        return JSON.stringify(r.rows[0]);
      },
    };
  },
};

const STRUCT = Buffer.from('\n\x0b\n\x01a\x12\x06\x11\x00\x00\x00\x00\x00\x00\xf0?').toString(
  'base64',
);
/** Names every JS object inherits (or, for `__proto__`, sets its prototype with). */
const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;
const PROTO = Buffer.from('\n\x16type.googleapis.com/x\x12\x02\x08\x01').toString('base64');

/** Every kind of value, at the edges of its range. */
const ALL_VALUES = {
  small: intValue(-42),
  max: intValue(2n ** 63n - 1n),
  min: intValue(-(2n ** 63n)),
  unsafe: intValue(2n ** 53n + 1n),
  whole: doubleValue(3000),
  fraction: doubleValue(0.1),
  tiny: doubleValue(-1.5e-300),
  text: stringValue('naïve ✓ \u{1F600} "q"'),
  empty: stringValue(''),
  yes: boolValue(true),
  no: boolValue(false),
  struct: structValue(STRUCT),
  proto: protoValue(PROTO),
};

describe.each([sqlite, postgres])('AsyncMlmdStore contract: $name', (backend) => {
  async function open(clock?: () => number) {
    return (await backend.fresh(clock)).open();
  }

  it('puts types, adds properties, refuses conflicts, hides simple types', async () => {
    const db = await open();
    const t = await db.types.put(TypeKind.ARTIFACT, 'Dataset', {
      properties: { size: PropertyType.INT, path: PropertyType.STRING },
      baseType: 'mlmd.Dataset',
      description: 'data',
    });
    expect(t).toMatchObject({
      name: 'Dataset',
      kind: TypeKind.ARTIFACT,
      version: null,
      description: 'data',
      baseType: 'mlmd.Dataset',
      properties: { path: PropertyType.STRING, size: PropertyType.INT },
    });
    expect(Object.keys(t.properties)).toEqual(['path', 'size']);
    expect(t.id).toBe(10); // after the 9 simple types
    const again = await db.types.put(TypeKind.ARTIFACT, 'Dataset', {
      properties: { rows: PropertyType.INT },
    });
    expect(again.id).toBe(t.id);
    expect(again.properties).toEqual({ ...t.properties, rows: PropertyType.INT });
    expect(await db.types.getById(t.id)).toEqual(again);
    expect(await db.types.get(TypeKind.ARTIFACT, 'Dataset')).toEqual(again);
    expect(await db.types.get(TypeKind.EXECUTION, 'Dataset')).toBeUndefined();
    expect(await db.types.getById(999)).toBeUndefined();
    const conflict = await failure(
      db.types.put(TypeKind.ARTIFACT, 'Dataset', { properties: { size: PropertyType.STRING } }),
    );
    expect(conflict.code).toBe('MLMD_TYPE_CONFLICT');
    const base = await failure(
      db.types.put(TypeKind.ARTIFACT, 'Dataset', { baseType: 'mlmd.Model' }),
    );
    expect(base.code).toBe('MLMD_TYPE_CONFLICT');
    await db.types.put(TypeKind.EXECUTION, 'Step');
    await db.types.put(TypeKind.ARTIFACT, 'Model');
    expect((await db.types.list(TypeKind.ARTIFACT)).map((x) => x.name)).toEqual([
      'Dataset',
      'Model',
    ]);
    expect((await failure(db.types.put(TypeKind.ARTIFACT, 'mlmd.Model'))).code).toBe(
      'MLMD_INVALID_ARGUMENT',
    );
  });

  it('creates, reads, lists and updates artifacts with every property type', async () => {
    const clock = manualClock();
    const db = await open(clock.now);
    const type = await db.types.put(TypeKind.ARTIFACT, 'Data', {
      properties: { size: PropertyType.INT, ok: PropertyType.BOOLEAN, s: PropertyType.STRUCT },
    });
    const a = await db.artifacts.create({
      typeId: type.id,
      uri: 's3://b/k',
      name: 'data.csv:abc',
      state: ArtifactState.LIVE,
      externalId: 'ext-1',
      properties: { size: intValue(12), ok: true, s: structValue(STRUCT) },
      customProperties: ALL_VALUES,
    });
    expect(a).toEqual({
      id: 1,
      typeId: type.id,
      typeName: 'Data',
      name: 'data.csv:abc',
      uri: 's3://b/k',
      state: ArtifactState.LIVE,
      externalId: 'ext-1',
      createTimeSinceEpoch: 1_700_000_000_000,
      lastUpdateTimeSinceEpoch: 1_700_000_000_000,
      properties: { ok: boolValue(true), s: structValue(STRUCT), size: intValue(12) },
      customProperties: {
        ...ALL_VALUES,
        max: intValue(2n ** 63n - 1n),
        min: intValue(-(2n ** 63n)),
        unsafe: intValue(2n ** 53n + 1n),
      },
    });
    // Values come back with their kind: 3000.0 stays a double, 2^63-1 a bigint.
    expect(a.customProperties.whole).toEqual({ type: 'double', value: 3000 });
    expect(a.customProperties.max!.value).toBe(2n ** 63n - 1n);
    expect(await db.artifacts.get(a.id)).toEqual(a);
    expect(JSON.stringify(await db.artifacts.get(a.id), bigintText)).toBe(
      JSON.stringify(a, bigintText),
    );
    const b = await db.artifacts.create({ typeId: type.id });
    expect(b).toMatchObject({ id: 2, uri: '', name: null, state: null, externalId: null });
    expect(await db.artifacts.get(b.id)).toEqual(b);

    clock.tick(5);
    const u = await db.artifacts.update(a.id, {
      uri: 's3://b/k2',
      state: ArtifactState.DELETED,
      properties: { size: intValue(13) },
      customProperties: { text: 'changed', added: doubleValue(1.25) },
    });
    expect(u.createTimeSinceEpoch).toBe(1_700_000_000_000);
    expect(u.lastUpdateTimeSinceEpoch).toBe(1_700_000_000_005);
    expect(u.uri).toBe('s3://b/k2');
    expect(u.state).toBe(ArtifactState.DELETED);
    expect(u.properties.size).toEqual(intValue(13));
    expect(u.properties.ok).toEqual(boolValue(true));
    expect(u.customProperties.text).toEqual(stringValue('changed'));
    expect(u.customProperties.added).toEqual(doubleValue(1.25));
    expect(u.customProperties.proto).toEqual(protoValue(PROTO));
    expect(await db.artifacts.get(a.id)).toEqual(u);

    expect((await db.artifacts.list()).map((x) => x.id)).toEqual([1, 2]);
    expect((await db.artifacts.listByType(type.id)).map((x) => x.id)).toEqual([1, 2]);
    expect((await db.artifacts.listByTypeName('Data')).map((x) => x.id)).toEqual([1, 2]);
    expect((await db.artifacts.getMany([2, 99, 1])).map((x) => x.id)).toEqual([1, 2]);
    expect(await db.artifacts.getByName(type.id, 'data.csv:abc')).toEqual(u);
    expect(await db.artifacts.getByName(type.id, 'nope')).toBeUndefined();
    expect(await db.artifacts.getByUri('s3://b/k2')).toEqual([u]);
    const bare = await db.artifacts.get(a.id, { properties: false });
    expect(bare).toEqual({ ...u, properties: {}, customProperties: {} });
    const props = await db.artifacts.getProperties([1, 2]);
    expect([...props.keys()]).toEqual([1]);
    expect(props.get(1)).toEqual({
      properties: u.properties,
      customProperties: u.customProperties,
    });
    expect(await db.artifacts.get(99)).toBeUndefined();
    expect((await failure(db.artifacts.require(99))).code).toBe('MLMD_NOT_FOUND');
  });

  it('gets or creates executions and contexts, and renames contexts', async () => {
    const clock = manualClock();
    const db = await open(clock.now);
    const et = await db.types.put(TypeKind.EXECUTION, 'Train', {
      properties: { epochs: PropertyType.INT, rate: PropertyType.DOUBLE },
    });
    const ct = await db.types.put(TypeKind.CONTEXT, 'Pipeline', {
      properties: { owner: PropertyType.STRING },
    });
    const e = await db.executions.getOrCreate({
      typeId: et.id,
      name: 'run-1',
      lastKnownState: ExecutionState.RUNNING,
      properties: { epochs: 3, rate: doubleValue(1) },
      customProperties: { flag: false, big: 2n ** 60n },
    });
    expect(e.created).toBe(true);
    expect(e.value).toMatchObject({
      id: 1,
      name: 'run-1',
      typeName: 'Train',
      lastKnownState: ExecutionState.RUNNING,
      properties: { epochs: intValue(3), rate: doubleValue(1) },
      customProperties: { big: intValue(2n ** 60n), flag: boolValue(false) },
    });
    clock.tick();
    const again = await db.executions.getOrCreate({
      typeId: et.id,
      name: 'run-1',
      properties: { epochs: 99 },
    });
    expect(again).toEqual({ value: e.value, created: false });
    const done = await db.executions.update(e.value.id, {
      lastKnownState: ExecutionState.COMPLETE,
    });
    expect(done.lastKnownState).toBe(ExecutionState.COMPLETE);
    expect(done.lastUpdateTimeSinceEpoch).toBe(e.value.createTimeSinceEpoch + 1);
    const unnamed = await db.executions.create({ typeId: et.id });
    expect(unnamed.name).toBeNull();
    expect((await db.executions.list()).map((x) => x.id)).toEqual([1, 2]);

    const c = await db.contexts.create({ typeId: ct.id, name: 'p', properties: { owner: 'me' } });
    expect(c).toMatchObject({ id: 1, name: 'p', properties: { owner: stringValue('me') } });
    await db.contexts.create({ typeId: ct.id, name: 'q' });
    const renamed = await db.contexts.update(c.id, { name: 'p2' });
    expect(renamed.name).toBe('p2');
    expect(await db.contexts.getByName(ct.id, 'p2')).toEqual(renamed);
    expect((await failure(db.contexts.update(c.id, { name: 'q' }))).code).toBe(
      'MLMD_ALREADY_EXISTS',
    );
    expect((await failure(db.contexts.create({ typeId: ct.id, name: '' }))).code).toBe(
      'MLMD_INVALID_ARGUMENT',
    );
    expect((await db.contexts.listByTypeName('Pipeline')).map((x) => x.name)).toEqual(['p2', 'q']);
  });

  it('reads only the properties asked for by name, declared and custom alike', async () => {
    const db = await open();
    const et = await db.types.put(TypeKind.EXECUTION, 'Step', {
      properties: { Execution_uuid: PropertyType.STRING, epochs: PropertyType.INT },
    });
    const a = await db.executions.create({
      typeId: et.id,
      properties: { Execution_uuid: 'u1', epochs: 3 },
      customProperties: { Execution_uuid: 'custom', note: 'x' },
    });
    const b = await db.executions.create({ typeId: et.id, properties: { epochs: 1 } });
    const got = await db.executions.getMany([b.id, a.id], { propertyNames: ['Execution_uuid'] });
    expect(got.map((e) => [e.id, e.properties, e.customProperties])).toEqual([
      [a.id, { Execution_uuid: stringValue('u1') }, { Execution_uuid: stringValue('custom') }],
      [b.id, {}, {}],
    ]);
    // Everything else about the records is as a full read returns it.
    const full = await db.executions.getMany([a.id, b.id]);
    expect(got.map((e) => ({ ...e, properties: {}, customProperties: {} }))).toEqual(
      full.map((e) => ({ ...e, properties: {}, customProperties: {} })),
    );
    expect((await db.executions.getMany([a.id], { propertyNames: [] }))[0]!.properties).toEqual({});
  });

  it('keeps properties named __proto__, constructor, toString as ordinary keys', async () => {
    const db = await open();
    // Own keys, as JSON.parse makes them (an object literal's __proto__ sets the prototype).
    const odd = (v: (name: string) => unknown) =>
      Object.fromEntries(ODD_NAMES.map((n) => [n, v(n)])) as Record<string, never>;
    // `constructor` and `toString` are inherited by every object: a type that does not
    // declare them must still say so, and declaring them later must not be a conflict.
    const type = await db.types.put(TypeKind.ARTIFACT, 'Odd', {
      properties: { ['__proto__']: PropertyType.STRING },
    });
    const undeclared = await failure(
      db.artifacts.create({ typeId: type.id, properties: { constructor: 'x' } as never }),
    );
    expect(undeclared.code).toBe('MLMD_UNKNOWN_PROPERTY');
    const declared = await db.types.put(TypeKind.ARTIFACT, 'Odd', {
      properties: odd(() => PropertyType.STRING),
    });
    expect(Object.keys(declared.properties).sort()).toEqual([...ODD_NAMES].sort());
    expect(await db.types.getById(type.id)).toEqual(declared);

    const a = await db.artifacts.create({
      typeId: type.id,
      properties: odd((n) => `declared ${n}`),
      customProperties: odd((n) => `custom ${n}`),
    });
    const expected = (space: string) =>
      Object.fromEntries(ODD_NAMES.map((n) => [n, stringValue(`${space} ${n}`)]));
    for (const got of [
      a,
      await db.artifacts.get(a.id),
      ...(await db.artifacts.list()),
      ...(await db.artifacts.getMany([a.id], { propertyNames: [...ODD_NAMES] })),
    ]) {
      for (const [space, props] of [
        ['declared', got!.properties],
        ['custom', got!.customProperties],
      ] as const) {
        expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
        expect(Object.keys(props).sort()).toEqual([...ODD_NAMES].sort());
        expect({ ...props }).toEqual(expected(space));
        expect(JSON.parse(JSON.stringify(props))).toEqual(
          JSON.parse(JSON.stringify(expected(space))),
        );
      }
    }
    const u = await db.artifacts.update(a.id, { customProperties: odd(() => 'again') });
    expect(u.customProperties.__proto__).toEqual(stringValue('again'));
    expect((await db.artifacts.get(a.id))!.customProperties.toString).toEqual(stringValue('again'));
  });

  it('keeps the sign of a double -0.0 where the database does (not SQLite: as for ml-metadata)', async () => {
    const db = await open();
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    const e = await db.executions.create({
      typeId: et.id,
      customProperties: { z: doubleValue(-0) },
    });
    const read = (await db.executions.get(e.id))!.customProperties.z!;
    expect(read.type).toBe('double');
    // SQLite stores a REAL -0.0 as the integer 0 (any writer, Python's ml-metadata included).
    expect(Object.is(read.value, backend.name === 'sqlite' ? 0 : -0)).toBe(true);
    // What create returns is what a read returns.
    expect(Object.is(e.customProperties.z!.value, read.value)).toBe(true);
  });

  it('refuses duplicate names, unknown types and undeclared or mistyped properties', async () => {
    const db = await open();
    const type = await db.types.put(TypeKind.ARTIFACT, 'Data', {
      properties: { size: PropertyType.INT },
    });
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    await db.artifacts.create({ typeId: type.id, name: 'x', externalId: 'ext-x' });
    // Thunks: each call starts when the previous one has failed.
    const cases: [() => Promise<unknown>, string][] = [
      [() => db.artifacts.create({ typeId: type.id, name: 'x' }), 'MLMD_ALREADY_EXISTS'],
      [() => db.artifacts.create({ typeId: 999 }), 'MLMD_NOT_FOUND'],
      [
        () => db.artifacts.create({ typeId: type.id, name: 'y', externalId: 'ext-x' }),
        'MLMD_ALREADY_EXISTS',
      ],
      [() => db.artifacts.create({ typeId: et.id }), 'MLMD_INVALID_ARGUMENT'],
      [
        () => db.artifacts.create({ typeId: type.id, properties: { nope: 1 } }),
        'MLMD_UNKNOWN_PROPERTY',
      ],
      [
        () => db.artifacts.create({ typeId: type.id, properties: { size: 'big' } }),
        'MLMD_PROPERTY_TYPE',
      ],
      [
        () => db.artifacts.create({ typeId: type.id, properties: { size: doubleValue(1) } }),
        'MLMD_PROPERTY_TYPE',
      ],
      [
        () =>
          db.artifacts.create({ typeId: type.id, customProperties: { n: intValue(2n ** 63n) } }),
        'MLMD_INVALID_ARGUMENT',
      ],
      [
        () => db.artifacts.create({ typeId: type.id, customProperties: { s: 'a\0b' } }),
        'MLMD_INVALID_ARGUMENT',
      ],
      [() => db.artifacts.update(42, { uri: 'x' }), 'MLMD_NOT_FOUND'],
      [() => db.artifacts.create({ typeId: type.id, state: 77 as never }), 'MLMD_INVALID_ARGUMENT'],
    ];
    for (const [call, code] of cases) expect((await failure(call())).code).toBe(code);
    // Nothing of the failed calls was written.
    expect((await db.artifacts.list()).map((a) => a.name)).toEqual(['x']);
    // A property declared on the type later can be used at once.
    await db.types.put(TypeKind.ARTIFACT, 'Data', { properties: { rows: PropertyType.INT } });
    const ok = await db.artifacts.create({ typeId: type.id, properties: { rows: 5 } });
    expect(ok.properties).toEqual({ rows: intValue(5) });
  });

  it('creates, finds and links in batches as the one-by-one calls do, all or nothing', async () => {
    const clock = manualClock();
    const db = await open(clock.now);
    const at = await db.types.put(TypeKind.ARTIFACT, 'Data', {
      properties: { size: PropertyType.INT },
    });
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage');
    const first = await db.artifacts.create({ typeId: at.id, name: 'a0', uri: 'u0' });
    const inputs = [
      {
        typeId: at.id,
        name: 'a1',
        uri: 'u1',
        properties: { size: 1 },
        customProperties: ALL_VALUES,
      },
      { typeId: at.id, uri: 'u1', state: ArtifactState.LIVE },
      { typeId: at.id, name: 'a3', uri: '', customProperties: { k: 'v' } },
    ];
    const made = await db.artifacts.createMany(inputs);
    // Ids ascend in input order; the records are what reads return.
    expect(made.map((a) => a.id)).toEqual([first.id + 1, first.id + 2, first.id + 3]);
    expect(await db.artifacts.getMany(made.map((a) => a.id))).toEqual(made);
    expect(await db.artifacts.createMany([])).toEqual([]);
    expect((await db.artifacts.getByUris(['u1', 'u0', 'none'])).map((a) => a.id)).toEqual([
      first.id,
      made[0]!.id,
      made[1]!.id,
    ]);
    expect(
      (
        await db.artifacts.getByNames([
          { typeId: at.id, name: 'a3' },
          { typeId: at.id, name: 'a0' },
          { typeId: et.id, name: 'a1' },
          { typeId: at.id, name: 'none' },
        ])
      ).map((a) => a.name),
    ).toEqual(['a0', 'a3']);

    // A refused input names its position; none of the batch is written.
    const refused: [Parameters<typeof db.artifacts.createMany>[0], string, number][] = [
      [
        [
          { typeId: at.id, name: 'new' },
          { typeId: at.id, name: 'a1' },
        ],
        'MLMD_ALREADY_EXISTS',
        1,
      ],
      [
        [
          { typeId: at.id, name: 'b' },
          { typeId: at.id, name: 'b' },
        ],
        'MLMD_ALREADY_EXISTS',
        1,
      ],
      [
        [{ typeId: at.id }, { typeId: at.id }, { typeId: at.id, properties: { size: 'x' } }],
        'MLMD_PROPERTY_TYPE',
        2,
      ],
      [[{ typeId: 999 }], 'MLMD_NOT_FOUND', 0],
    ];
    for (const [batch, code, index] of refused) {
      const err = await failure(db.artifacts.createMany(batch));
      expect([err.code, err.data?.index]).toEqual([code, index]);
    }
    expect(await db.artifacts.list()).toHaveLength(4);

    const [e1, e2] = await db.executions.createMany([
      { typeId: et.id, name: 'e1' },
      { typeId: et.id, customProperties: { n: 1 } },
    ]);
    const [c1] = await db.contexts.createMany([{ typeId: ct.id, name: 'c1' }]);
    await db.links.putEvent({ artifactId: first.id, executionId: e1!.id, type: EventType.INPUT });
    const added = await db.links.addEvents([
      { artifactId: first.id, executionId: e1!.id, type: EventType.INPUT },
      {
        artifactId: made[0]!.id,
        executionId: e1!.id,
        type: EventType.OUTPUT,
        path: [{ key: 'k' }, { index: 3 }],
      },
      { artifactId: made[0]!.id, executionId: e1!.id, type: EventType.OUTPUT },
      {
        artifactId: made[0]!.id,
        executionId: e2!.id,
        type: EventType.INPUT,
        millisecondsSinceEpoch: 7,
      },
    ]);
    expect(added).toEqual([false, true, false, true]);
    const events = await db.links.eventsOfExecutions([e1!.id, e2!.id]);
    expect(events.map((e) => [e.artifactId, e.executionId, e.type, e.path])).toEqual([
      [first.id, e1!.id, EventType.INPUT, []],
      [made[0]!.id, e1!.id, EventType.OUTPUT, [{ key: 'k' }, { index: 3 }]],
      [made[0]!.id, e2!.id, EventType.INPUT, []],
    ]);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    expect(events[2]!.millisecondsSinceEpoch).toBe(7);
    const badEvent = await failure(
      db.links.addEvents([
        { artifactId: made[1]!.id, executionId: e2!.id, type: EventType.OUTPUT },
        { artifactId: 999, executionId: e2!.id, type: EventType.OUTPUT },
      ]),
    );
    expect([badEvent.code, badEvent.data?.index]).toEqual(['MLMD_NOT_FOUND', 1]);
    expect(await db.links.eventsOfExecutions([e2!.id])).toHaveLength(1);

    await db.links.associate(c1!.id, e1!.id);
    expect(
      await db.links.associateMany([
        [c1!.id, e1!.id],
        [c1!.id, e2!.id],
        [c1!.id, e2!.id],
      ]),
    ).toEqual([false, true, false]);
    expect(
      await db.links.attributeMany([
        [c1!.id, made[2]!.id],
        [c1!.id, first.id],
      ]),
    ).toEqual([true, true]);
    const badLink = await failure(
      db.links.attributeMany([
        [c1!.id, made[1]!.id],
        [999, first.id],
      ]),
    );
    expect([badLink.code, badLink.data?.index]).toEqual(['MLMD_NOT_FOUND', 1]);
    expect(await db.links.associationsOf([c1!.id])).toEqual([
      { contextId: c1!.id, executionId: e1!.id },
      { contextId: c1!.id, executionId: e2!.id },
    ]);
    expect(await db.links.attributionsOf([c1!.id])).toEqual([
      { contextId: c1!.id, artifactId: made[2]!.id },
      { contextId: c1!.id, artifactId: first.id },
    ]);
  });

  it('records events with paths and links contexts, executions and artifacts', async () => {
    const db = await open();
    const at = await db.types.put(TypeKind.ARTIFACT, 'Data');
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage');
    const a1 = await db.artifacts.create({ typeId: at.id, name: 'a1' });
    const a2 = await db.artifacts.create({ typeId: at.id, name: 'a2' });
    const e1 = await db.executions.create({ typeId: et.id, name: 'e1' });
    const e2 = await db.executions.create({ typeId: et.id, name: 'e2' });
    const path = [{ key: 'out' }, { index: 2 }, { key: '' }, { index: 2 ** 40 }];
    const ev = await db.links.putEvent({
      artifactId: a1.id,
      executionId: e1.id,
      type: EventType.OUTPUT,
      millisecondsSinceEpoch: 1234,
      path,
    });
    expect(ev).toEqual({
      created: true,
      value: {
        id: 1,
        artifactId: a1.id,
        executionId: e1.id,
        type: EventType.OUTPUT,
        millisecondsSinceEpoch: 1234,
        path,
      },
    });
    const same = await db.links.putEvent({
      artifactId: a1.id,
      executionId: e1.id,
      type: EventType.OUTPUT,
    });
    expect(same).toEqual({ value: ev.value, created: false });
    await db.links.putEvent({
      artifactId: a1.id,
      executionId: e2.id,
      type: EventType.INPUT,
      millisecondsSinceEpoch: 99,
    });
    await db.links.putEvent({
      artifactId: a2.id,
      executionId: e2.id,
      type: EventType.OUTPUT,
      millisecondsSinceEpoch: 100,
    });
    expect((await db.links.eventsOfExecutions([e2.id, e1.id])).map((e) => e.id)).toEqual([1, 2, 3]);
    expect(await db.links.eventsOfArtifacts([a1.id])).toEqual([
      ev.value,
      {
        id: 2,
        artifactId: a1.id,
        executionId: e2.id,
        type: EventType.INPUT,
        millisecondsSinceEpoch: 99,
        path: [],
      },
    ]);
    expect((await db.artifacts.byExecution(e2.id)).map((a) => a.name)).toEqual(['a1', 'a2']);
    expect((await db.artifacts.byExecution(e2.id, EventType.OUTPUT)).map((a) => a.name)).toEqual([
      'a2',
    ]);
    expect((await db.executions.byArtifact(a1.id)).map((e) => e.name)).toEqual(['e1', 'e2']);
    expect((await db.executions.byArtifact(a1.id, EventType.INPUT)).map((e) => e.name)).toEqual([
      'e2',
    ]);
    expect(
      (await failure(db.links.putEvent({ artifactId: 99, executionId: e1.id, type: 3 }))).code,
    ).toBe('MLMD_NOT_FOUND');
    expect(
      (await failure(db.links.putEvent({ artifactId: a1.id, executionId: e1.id, type: 0 }))).code,
    ).toBe('MLMD_INVALID_ARGUMENT');

    const parent = await db.contexts.create({ typeId: ct.id, name: 'pipeline' });
    const stage = await db.contexts.create({ typeId: ct.id, name: 'stage' });
    const other = await db.contexts.create({ typeId: ct.id, name: 'other' });
    expect(await db.links.associate(stage.id, e1.id)).toBe(true);
    expect(await db.links.associate(stage.id, e1.id)).toBe(false);
    expect(await db.links.associate(other.id, e2.id)).toBe(true);
    expect(await db.links.associate(stage.id, e2.id)).toBe(true);
    expect(await db.links.attribute(stage.id, a2.id)).toBe(true);
    expect(await db.links.attribute(stage.id, a1.id)).toBe(true);
    expect(await db.links.attribute(stage.id, a1.id)).toBe(false);
    expect(await db.links.addParentContext(stage.id, parent.id)).toBe(true);
    expect(await db.links.addParentContext(stage.id, parent.id)).toBe(false);
    expect(await db.links.addParentContext(other.id, parent.id)).toBe(true);
    expect((await failure(db.links.addParentContext(stage.id, stage.id))).code).toBe(
      'MLMD_INVALID_ARGUMENT',
    );
    expect((await failure(db.links.associate(stage.id, 99))).code).toBe('MLMD_NOT_FOUND');

    expect((await db.executions.byContext(stage.id)).map((e) => e.name)).toEqual(['e1', 'e2']);
    expect((await db.artifacts.byContext(stage.id)).map((a) => a.name)).toEqual(['a1', 'a2']);
    expect((await db.contexts.ofExecution(e2.id)).map((c) => c.name)).toEqual(['stage', 'other']);
    expect((await db.contexts.ofArtifact(a1.id)).map((c) => c.name)).toEqual(['stage']);
    expect((await db.contexts.children(parent.id)).map((c) => c.name)).toEqual(['stage', 'other']);
    expect((await db.contexts.parents(stage.id)).map((c) => c.name)).toEqual(['pipeline']);
    expect(await db.links.associationsOf([stage.id, other.id])).toEqual([
      { contextId: stage.id, executionId: e1.id },
      { contextId: other.id, executionId: e2.id },
      { contextId: stage.id, executionId: e2.id },
    ]);
    expect(await db.links.attributionsOf([stage.id])).toEqual([
      { contextId: stage.id, artifactId: a2.id },
      { contextId: stage.id, artifactId: a1.id },
    ]);
  });

  it('commits a transaction that resolves and leaves nothing of one that throws', async () => {
    const db = await open();
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage');
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    const kept = await db.transaction(async (tx) => {
      const c = await tx.contexts.create({ typeId: ct.id, name: 'kept' });
      const e = await tx.executions.create({ typeId: et.id, name: 'e' });
      await tx.links.associate(c.id, e.id);
      // A failing call leaves the transaction usable, with its own changes undone.
      const dup = await failure(tx.contexts.create({ typeId: ct.id, name: 'kept' }));
      expect(dup.code).toBe('MLMD_ALREADY_EXISTS');
      expect((await tx.contexts.list()).map((x) => x.name)).toEqual(['kept']);
      return c;
    });
    expect(await db.contexts.get(kept.id)).toEqual(kept);

    await expect(
      db.transaction(async (tx) => {
        const t = await tx.types.put(TypeKind.ARTIFACT, 'OnlyInTx', {
          properties: { n: PropertyType.INT },
        });
        const c = await tx.contexts.create({ typeId: ct.id, name: 'dropped' });
        const a = await tx.artifacts.create({ typeId: t.id, properties: { n: 1 } });
        await tx.links.attribute(c.id, a.id);
        await tx.contexts.update(kept.id, { customProperties: { x: 1 } });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.contexts.list()).map((c) => c.name)).toEqual(['kept']);
    expect(await db.contexts.get(kept.id)).toEqual(kept);
    expect(await db.artifacts.list()).toEqual([]);
    expect(await db.types.get(TypeKind.ARTIFACT, 'OnlyInTx')).toBeUndefined();
    expect(await db.links.attributionsOf([kept.id])).toEqual([]);
    // A type put again after the rollback is a new one (no stale cached type).
    const fresh = await db.types.put(TypeKind.ARTIFACT, 'OnlyInTx');
    expect(fresh.properties).toEqual({});
  });

  it('keeps calls on the outer store out of an open transaction', async () => {
    const db = await open();
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inside = new Promise<void>((r) => (started = r));
    const tx = db.transaction(async (t) => {
      await t.contexts.create({ typeId: ct.id, name: 'in-tx' });
      started();
      await gate;
      throw new Error('rolled back');
    });
    await inside;
    // Must not land inside the transaction and be rolled back with it.
    const outside = db.contexts.create({ typeId: ct.id, name: 'outside' });
    release();
    await expect(tx).rejects.toThrow('rolled back');
    await outside;
    expect((await db.contexts.list()).map((c) => c.name)).toEqual(['outside']);
  });

  it('serialises concurrent transactions: all land, no row is lost', async () => {
    const fresh = await backend.fresh();
    const db = await fresh.open();
    await db.types.put(TypeKind.CONTEXT, 'Pipeline');
    await db.types.put(TypeKind.EXECUTION, 'Step');
    // Two handles on one store, as two server processes have. (Not for SQLite: a second
    // better-sqlite3 handle in the same process would wait for the lock in a busy loop that
    // blocks the event loop; its processes serialise on the file lock instead.)
    const other = backend.name === 'sqlite' ? db : await fresh.open();
    const results = await Promise.all([
      pushNext(db, 'a'),
      pushNext(other, 'b'),
      pushNext(db, 'c'),
      pushNext(other, 'd'),
    ]);
    expect(results.sort()).toEqual([0, 1, 2, 3]);
    const pipe = (await db.contexts.listByTypeName('Pipeline'))[0]!;
    expect((await db.executions.byContext(pipe.id)).map((e) => e.name)).toEqual([
      'exec-0',
      'exec-1',
      'exec-2',
      'exec-3',
    ]);
  });

  it('reopens an existing store with everything in it', async () => {
    const fresh = await backend.fresh();
    const db = await fresh.open();
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage', {
      properties: { n: PropertyType.INT },
    });
    const c = await db.contexts.create({ typeId: ct.id, name: 's', properties: { n: 2n ** 62n } });
    await db.close();
    const again = await fresh.open();
    expect(await again.contexts.get(c.id)).toEqual(c);
    expect(await again.types.list(TypeKind.CONTEXT)).toEqual([ct]);
    const before = await fresh.fingerprint();
    await (await fresh.open()).close();
    expect(await fresh.fingerprint()).toBe(before);
  });

  it('refuses a store of another schema version and leaves it untouched', async () => {
    const fresh = await backend.fresh();
    const db = await fresh.open();
    await db.types.put(TypeKind.CONTEXT, 'Stage');
    await db.close();
    await fresh.setSchemaVersion(9);
    const before = await fresh.fingerprint();
    const err = await failure(fresh.open());
    expect(err.code).toBe('MLMD_SCHEMA_VERSION');
    expect(err.message).toMatch(/schema version 9; cmf needs 10/);
    expect(err.hint).toMatch(/upgrade/i);
    expect(err.exitCode).toBe(5);
    expect(await fresh.fingerprint()).toBe(before);
  });
});

/**
 * One "push": reads how many executions the pipeline has, waits, and adds the next number.
 * Interleaved with another, both would read the same count and the second insert would
 * collide (or the get-or-create of the pipeline would).
 */
async function pushNext(db: AsyncMlmdStore, who: string): Promise<number> {
  const ct = (await db.types.get(TypeKind.CONTEXT, 'Pipeline'))!;
  const et = (await db.types.get(TypeKind.EXECUTION, 'Step'))!;
  return db.transaction(async (tx) => {
    const p = await tx.contexts.getOrCreate({ typeId: ct.id, name: 'pipe' });
    const n = (await tx.executions.byContext(p.value.id)).length;
    // Long enough for the other pushes to have started (their connections are open).
    await new Promise((r) => setTimeout(r, 200));
    const e = await tx.executions.create({
      typeId: et.id,
      name: `exec-${n}`,
      customProperties: { who },
    });
    await tx.links.associate(p.value.id, e.id);
    return n;
  });
}

/** JSON.stringify replacer that keeps bigints (as text). */
function bigintText(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

describe('SQLite and PostgreSQL stores answer the same', () => {
  /** A small pipeline written through the API; returns everything read back. */
  async function scenario(db: AsyncMlmdStore): Promise<string> {
    const at = await db.types.put(TypeKind.ARTIFACT, 'Dataset', {
      properties: { z: PropertyType.STRING, a: PropertyType.INT, B: PropertyType.DOUBLE },
      baseType: 'mlmd.Dataset',
    });
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    const ct = await db.types.put(TypeKind.CONTEXT, 'Pipeline');
    await db.transaction(async (tx) => {
      const p = await tx.contexts.create({ typeId: ct.id, name: 'p' });
      for (let i = 0; i < 3; i++) {
        const e = await tx.executions.create({
          typeId: et.id,
          name: `e${i}`,
          customProperties: { i, Zeta: 'z', alpha: doubleValue(i), é: true, _: 2n ** 63n - 1n },
        });
        await tx.links.associate(p.id, e.id);
        const a = await tx.artifacts.create({
          typeId: at.id,
          uri: `u${i}`,
          properties: { z: 'z', a: i, B: doubleValue(i / 3) },
          customProperties: { proto: protoValue(PROTO), struct: structValue(STRUCT) },
        });
        await tx.links.attribute(p.id, a.id);
        await tx.links.putEvent({
          artifactId: a.id,
          executionId: e.id,
          type: EventType.OUTPUT,
          path: [{ index: i }, { key: `k${i}` }],
        });
      }
    });
    await db.artifacts.update(2, { properties: { a: -1 }, customProperties: { extra: 0.5 } });
    const dump = {
      types: [
        ...(await db.types.list(TypeKind.ARTIFACT)),
        ...(await db.types.list(TypeKind.EXECUTION)),
        ...(await db.types.list(TypeKind.CONTEXT)),
      ],
      artifacts: await db.artifacts.list(),
      executions: await db.executions.list(),
      contexts: await db.contexts.list(),
      events: await db.links.eventsOfExecutions([1, 2, 3]),
      associations: await db.links.associationsOf([1]),
      attributions: await db.links.attributionsOf([1]),
      props: [...(await db.executions.getProperties([1, 2, 3])).entries()],
    };
    return JSON.stringify(dump, bigintText, 1);
  }

  it('produces identical records for one scenario, key order included', async () => {
    const clock = manualClock();
    const fromSqlite = await scenario(await (await sqlite.fresh(clock.now)).open());
    const fromPostgres = await scenario(await (await postgres.fresh(clock.now)).open());
    expect(fromPostgres).toBe(fromSqlite);
  });
});

describe('PostgresMlmdStore: connecting and checking the database', () => {
  const wrongPw = 'wrong-pw-9f3';

  it('names the database without its password', async () => {
    const url = await server.createDatabase();
    const db = await PostgresMlmdStore.open(
      `${url}?application_name=x&password=${server.password}`,
    );
    opened.push(db);
    expect(db.location).not.toContain(server.password);
    expect(db.location).toMatch(
      /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/mlmd_t\d+_\d+\?application_name=x$/,
    );
  });

  it('reports a wrong password, a server that is down and a missing database clearly', async () => {
    const auth = await failure(
      PostgresMlmdStore.open(server.urlOf('mlmd', { user: 'postgres', password: wrongPw })),
    );
    expect(auth).toMatchObject({ code: 'MLMD_PG_AUTH', exitCode: 4 });
    expect(auth.message).toMatch(/refused the login.*password authentication failed/);
    expect(auth.hint).toMatch(/user name and password/);
    expect(JSON.stringify(auth.toJSON())).not.toContain(wrongPw);

    const port = await freePort();
    const down = await failure(
      PostgresMlmdStore.open(`postgres://postgres:${wrongPw}@127.0.0.1:${port}/mlmd`),
    );
    expect(down).toMatchObject({ code: 'MLMD_PG_CONNECT', exitCode: 1 });
    expect(down.message).toContain(
      `Cannot reach PostgreSQL at postgres://postgres@127.0.0.1:${port}/mlmd`,
    );
    expect(down.message).toMatch(/ECONNREFUSED/);
    expect(down.hint).toMatch(/server runs/);
    expect(JSON.stringify(down.toJSON())).not.toContain(wrongPw);

    const missing = await failure(PostgresMlmdStore.open(server.urlOf('no_such_db')));
    expect(missing).toMatchObject({ code: 'MLMD_PG_NO_DATABASE', exitCode: 4 });
    expect(missing.hint).toMatch(/createdb/);

    const bad = await failure(PostgresMlmdStore.open(`mysql://u:${wrongPw}@h/db`));
    expect(bad.code).toBe('MLMD_PG_URL');
    expect(bad.message).not.toContain(wrongPw);
  });

  it('refuses a database that holds other tables, or half an MLMD schema, and changes nothing', async () => {
    const url = await server.createDatabase();
    const db = new URL(url).pathname.slice(1);
    await server.query(db, 'CREATE TABLE users (id INT, name TEXT)');
    const other = await failure(PostgresMlmdStore.open(url));
    expect(other).toMatchObject({ code: 'MLMD_NOT_MLMD', exitCode: 5 });
    expect(other.message).toMatch(/none of them MLMD's \(users\)/);
    const tables = await server.query(
      db,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.rows).toEqual([{ table_name: 'users' }]);

    const half = await server.createDatabase();
    const halfDb = new URL(half).pathname.slice(1);
    await server.query(halfDb, 'CREATE TABLE Type (id SERIAL, name TEXT)');
    const incomplete = await failure(PostgresMlmdStore.open(half));
    expect(incomplete.code).toBe('MLMD_INCOMPLETE_SCHEMA');

    const empty = await server.createDatabase();
    const notCreated = await failure(PostgresMlmdStore.open(empty, { create: false }));
    expect(notCreated.code).toBe('MLMD_EMPTY_FILE');
  });

  it('creates ml-metadata’s table layout once, also when two servers start together', async () => {
    const url = await server.createDatabase();
    const db = new URL(url).pathname.slice(1);
    const [a, b] = await Promise.all([PostgresMlmdStore.open(url), PostgresMlmdStore.open(url)]);
    opened.push(a, b);
    const tables = await server.query(
      db,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'artifact',
      'artifactproperty',
      'association',
      'attribution',
      'context',
      'contextproperty',
      'event',
      'eventpath',
      'execution',
      'executionproperty',
      'mlmdenv',
      'parentcontext',
      'parenttype',
      'type',
      'typeproperty',
    ]);
    const env = await server.query(db, 'SELECT schema_version FROM MLMDEnv');
    expect(env.rows).toEqual([{ schema_version: 10 }]);
    const simple = await server.query(db, 'SELECT id, name, type_kind FROM Type ORDER BY id');
    expect(simple.rows.map((r) => `${r.id}:${r.name}:${r.type_kind}`)).toEqual([
      '1:mlmd.Dataset:1',
      '2:mlmd.Model:1',
      '3:mlmd.Metrics:1',
      '4:mlmd.Statistics:1',
      '5:mlmd.Train:0',
      '6:mlmd.Transform:0',
      '7:mlmd.Process:0',
      '8:mlmd.Evaluate:0',
      '9:mlmd.Deploy:0',
    ]);
    // A simple type deleted by someone else is put back on the next open, as MLMD does.
    await server.query(db, "DELETE FROM Type WHERE name = 'mlmd.Deploy'");
    opened.push(await PostgresMlmdStore.open(url));
    const back = await server.query(
      db,
      "SELECT count(*)::int AS n FROM Type WHERE name = 'mlmd.Deploy'",
    );
    expect(back.rows).toEqual([{ n: 1 }]);
  });

  it('works on a store with ml-metadata’s own column types (INT values, no EventPath.seq)', async () => {
    const url = await server.createDatabase();
    const dbName = new URL(url).pathname.slice(1);
    await (await PostgresMlmdStore.open(url)).close();
    // What ml-metadata's PostgreSQL config creates differs from ours in these columns.
    for (const sql of [
      'ALTER TABLE EventPath DROP COLUMN seq',
      'ALTER TABLE EventPath ALTER COLUMN step_index TYPE INT',
      'ALTER TABLE ArtifactProperty ALTER COLUMN int_value TYPE INT',
      'ALTER TABLE Artifact ALTER COLUMN name TYPE VARCHAR(255)',
    ]) {
      await server.query(dbName, sql);
    }
    const db = await PostgresMlmdStore.open(url);
    opened.push(db);
    const at = await db.types.put(TypeKind.ARTIFACT, 'Data');
    const et = await db.types.put(TypeKind.EXECUTION, 'Step');
    const a = await db.artifacts.create({ typeId: at.id, customProperties: { n: 7 } });
    const e = await db.executions.create({ typeId: et.id });
    const path = [{ key: 'z' }, { index: 1 }, { key: 'a' }, { index: 0 }];
    await db.links.putEvent({ artifactId: a.id, executionId: e.id, type: EventType.INPUT, path });
    expect((await db.links.eventsOfArtifacts([a.id]))[0]!.path).toEqual(path);
    expect((await db.artifacts.get(a.id))!.customProperties).toEqual({ n: intValue(7) });
    // What such a store cannot hold is refused with a typed error, and nothing is written.
    const big = await failure(
      db.artifacts.create({ typeId: at.id, customProperties: { n: 2n ** 40n } }),
    );
    expect(big.code).toBe('MLMD_INVALID_ARGUMENT');
    expect(big.message).toMatch(/out of range/);
    expect(await db.artifacts.list()).toHaveLength(1);
  });

  it('keeps one store per schema when the URL sets the search_path', async () => {
    const url = await server.createDatabase();
    const db = new URL(url).pathname.slice(1);
    await server.query(db, 'CREATE SCHEMA team_a');
    const inSchema = `${url}?options=${encodeURIComponent('-c search_path=team_a')}`;
    const a = await PostgresMlmdStore.open(inSchema);
    const pub = await PostgresMlmdStore.open(url);
    opened.push(a, pub);
    await a.types.put(TypeKind.CONTEXT, 'OnlyInA');
    expect(await pub.types.list(TypeKind.CONTEXT)).toEqual([]);
    const inA = await server.query(db, 'SELECT count(*)::int AS n FROM team_a.type');
    expect(inA.rows).toEqual([{ n: 10 }]);
  });

  it('fails a transaction whose connection is killed with a typed error, and keeps working', async () => {
    const url = await server.createDatabase();
    const dbName = new URL(url).pathname.slice(1);
    const db = await PostgresMlmdStore.open(url);
    opened.push(db);
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage');
    const err = await failure(
      db.transaction(async (tx) => {
        await tx.contexts.create({ typeId: ct.id, name: 'lost' });
        // What a server restart or a network cut does to the connection.
        await server.query(
          'postgres',
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [dbName],
        );
        await tx.contexts.create({ typeId: ct.id, name: 'after' });
      }),
    );
    expect(err.code).toBe('MLMD_PG_CONNECT');
    expect(err.hint).toMatch(/server runs/);
    expect(await db.contexts.list()).toEqual([]);
    const c = await db.contexts.create({ typeId: ct.id, name: 'later' });
    expect((await db.contexts.list()).map((x) => x.name)).toEqual([c.name]);
  });

  it('ends a transaction in which PostgreSQL refused a statement, writing nothing', async () => {
    const db = await PostgresMlmdStore.open(await server.createDatabase());
    opened.push(db);
    const ct = await db.types.put(TypeKind.CONTEXT, 'Stage');
    await db.contexts.create({ typeId: ct.id, name: 'a', externalId: 'x' });
    let afterwards: CmfError | undefined;
    const err = await failure(
      db.transaction(async (tx) => {
        await tx.contexts.create({ typeId: ct.id, name: 'b' });
        // The unique external id is enforced by PostgreSQL itself (not looked up first).
        const c = await tx.contexts.create({ typeId: ct.id, name: 'c' });
        const taken = await failure(tx.contexts.update(c.id, { externalId: 'x' }));
        expect(taken.code).toBe('MLMD_ALREADY_EXISTS');
        afterwards = await failure(tx.contexts.list());
        // Returning normally must not commit what PostgreSQL has already thrown away.
      }),
    );
    expect(afterwards?.code).toBe('MLMD_TRANSACTION_ABORTED');
    expect(err.code).toBe('MLMD_TRANSACTION_ABORTED');
    expect(err.message).toMatch(/nothing of it was written/);
    expect((await db.contexts.list()).map((c) => c.name)).toEqual(['a']);
  });

  it('refuses calls on a transaction handle after the transaction ended', async () => {
    const db = await PostgresMlmdStore.open(await server.createDatabase());
    opened.push(db);
    let leaked: AsyncMlmdStore | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    const err = await failure(leaked!.contexts.list());
    expect(err.code).toBe('MLMD_TRANSACTION_ENDED');
  });
});
