import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactState,
  EventType,
  ExecutionState,
  MlmdStore,
  PropertyType,
  TypeKind,
} from '../../../src/mlmd/index.js';
import { manualClock, tempDir } from './helpers.js';

describe('types', () => {
  let store: MlmdStore;
  beforeEach(() => {
    store = MlmdStore.open(join(tempDir(), 'mlmd'));
    return () => store.close();
  });

  it('get-or-creates by kind and name, with declared properties and version NULL', () => {
    const t = store.types.put(TypeKind.CONTEXT, 'Pipeline', {
      properties: { Pipeline: PropertyType.STRING },
    });
    expect(t).toMatchObject({
      id: 10,
      name: 'Pipeline',
      kind: TypeKind.CONTEXT,
      version: null,
      baseType: null,
    });
    expect(t.properties).toEqual({ Pipeline: PropertyType.STRING });
    expect(store.types.put(TypeKind.CONTEXT, 'Pipeline').id).toBe(10);
    // Same name, other kind: another type.
    expect(store.types.put(TypeKind.ARTIFACT, 'Pipeline').id).toBe(11);
    expect(
      store.database.prepare('SELECT type_kind, version FROM Type WHERE id = 10').get(),
    ).toEqual({
      type_kind: 2,
      version: null,
    });
    expect(store.database.prepare('SELECT * FROM TypeProperty').all()).toEqual([
      { type_id: 10, name: 'Pipeline', data_type: 3 },
    ]);
  });

  it('adds newly declared properties to an existing type and refuses changed data types', () => {
    store.types.put(TypeKind.EXECUTION, 'Step', { properties: { a: PropertyType.STRING } });
    const t = store.types.put(TypeKind.EXECUTION, 'Step', {
      properties: { a: PropertyType.STRING, b: PropertyType.INT },
    });
    expect(t.properties).toEqual({ a: PropertyType.STRING, b: PropertyType.INT });
    const kept = store.types.put(
      TypeKind.EXECUTION,
      'Step',
      { properties: { c: PropertyType.INT } },
      { addProperties: false },
    );
    expect(Object.keys(kept.properties)).toEqual(['a', 'b']);
    expect(() =>
      store.types.put(TypeKind.EXECUTION, 'Step', { properties: { a: PropertyType.INT } }),
    ).toThrow(expect.objectContaining({ code: 'MLMD_TYPE_CONFLICT' }));
  });

  it('links a base type through ParentType to the simple type of the same kind', () => {
    const t = store.types.put(TypeKind.ARTIFACT, 'Dataset', { baseType: 'mlmd.Dataset' });
    expect(t.baseType).toBe('mlmd.Dataset');
    expect(store.database.prepare('SELECT * FROM ParentType').all()).toEqual([
      { type_id: t.id, parent_type_id: 1 },
    ]);
    expect(() => store.types.put(TypeKind.ARTIFACT, 'X', { baseType: 'mlmd.Train' })).toThrow(
      expect.objectContaining({ code: 'MLMD_INVALID_ARGUMENT', hint: expect.any(String) }),
    );
  });

  it('lists types of a kind without the simple types, and finds them by id', () => {
    store.types.put(TypeKind.ARTIFACT, 'A');
    store.types.put(TypeKind.EXECUTION, 'E');
    expect(store.types.list(TypeKind.ARTIFACT).map((t) => t.name)).toEqual(['A']);
    expect(store.types.list(TypeKind.EXECUTION).map((t) => t.name)).toEqual(['E']);
    expect(store.types.getById(1)?.name).toBe('mlmd.Dataset');
    expect(store.types.get(TypeKind.ARTIFACT, 'missing')).toBeUndefined();
  });

  it('ignores versioned types in name lookups', () => {
    store.database
      .prepare("INSERT INTO Type (name, version, type_kind) VALUES ('V', '1', 1)")
      .run();
    expect(store.types.get(TypeKind.ARTIFACT, 'V')).toBeUndefined();
    const t = store.types.put(TypeKind.ARTIFACT, 'V');
    expect(t.version).toBeNull();
  });
});

describe('contexts, executions, artifacts', () => {
  let store: MlmdStore;
  const clock = manualClock();
  let ctxType: number;
  let exeType: number;
  let artType: number;

  beforeEach(() => {
    store = MlmdStore.open(join(tempDir(), 'mlmd'), { clock: clock.now });
    ctxType = store.types.put(TypeKind.CONTEXT, 'Ctx', {
      properties: { P: PropertyType.STRING },
    }).id;
    exeType = store.types.put(TypeKind.EXECUTION, 'Exe', {
      properties: { id: PropertyType.INT },
    }).id;
    artType = store.types.put(TypeKind.ARTIFACT, 'Art', {
      properties: { url: PropertyType.STRING },
    }).id;
    return () => store.close();
  });

  it('creates nodes with ms timestamps and bumps last_update on every update', () => {
    const t0 = clock.now();
    const c = store.contexts.create({ typeId: ctxType, name: 'p', properties: { P: 'p' } });
    expect([c.createTimeSinceEpoch, c.lastUpdateTimeSinceEpoch]).toEqual([t0, t0]);
    clock.tick(1500);
    const u = store.contexts.update(c.id, { customProperties: { k: 1 } });
    expect([u.createTimeSinceEpoch, u.lastUpdateTimeSinceEpoch]).toEqual([t0, t0 + 1500]);
    clock.tick(1);
    expect(store.contexts.update(c.id, {}).lastUpdateTimeSinceEpoch).toBe(t0 + 1501);
    const row = store.database
      .prepare(
        'SELECT typeof(create_time_since_epoch) AS a, typeof(last_update_time_since_epoch) AS b FROM Context',
      )
      .get();
    expect(row).toEqual({ a: 'integer', b: 'integer' });
  });

  it('uses real ms from the default clock', () => {
    const before = Date.now();
    const plain = MlmdStore.open(join(tempDir(), 'mlmd'));
    const t = plain.types.put(TypeKind.ARTIFACT, 'A').id;
    const a = plain.artifacts.create({ typeId: t });
    expect(a.createTimeSinceEpoch).toBeGreaterThanOrEqual(before);
    expect(a.createTimeSinceEpoch).toBeLessThanOrEqual(Date.now());
    plain.close();
  });

  it("stores an artifact without uri as '' and state as an int", () => {
    const a = store.artifacts.create({ typeId: artType });
    expect(a.uri).toBe('');
    expect(a.name).toBeNull();
    expect(store.database.prepare('SELECT uri, state, name FROM Artifact').get()).toEqual({
      uri: '',
      state: null,
      name: null,
    });
    const u = store.artifacts.update(a.id, { state: ArtifactState.LIVE, uri: 'abc' });
    expect(u).toMatchObject({ state: ArtifactState.LIVE, uri: 'abc' });
    expect(store.database.prepare('SELECT typeof(state) AS t FROM Artifact').get()).toEqual({
      t: 'integer',
    });
  });

  it('finds nodes by id, type+name, uri and type', () => {
    const a1 = store.artifacts.create({
      typeId: artType,
      name: 'a:1',
      uri: 'h1',
      properties: { url: 'x' },
    });
    const a2 = store.artifacts.create({ typeId: artType, name: 'a:2', uri: 'h1' });
    store.artifacts.create({ typeId: artType, name: 'a:3', uri: 'h2' });
    expect(store.artifacts.get(a1.id)?.properties.url?.value).toBe('x');
    expect(store.artifacts.getByName(artType, 'a:2')?.id).toBe(a2.id);
    expect(store.artifacts.getByUri('h1').map((a) => a.name)).toEqual(['a:1', 'a:2']);
    expect(store.artifacts.listByType(artType)).toHaveLength(3);
    expect(store.artifacts.listByTypeName('Art').map((a) => a.typeName)).toEqual([
      'Art',
      'Art',
      'Art',
    ]);
    expect(store.artifacts.getMany([a2.id, a1.id, 999]).map((a) => a.id)).toEqual([a1.id, a2.id]);
    expect(store.artifacts.get(999)).toBeUndefined();
    expect(() => store.artifacts.require(999)).toThrow(
      expect.objectContaining({ code: 'MLMD_NOT_FOUND', exitCode: 3 }),
    );
  });

  it('refuses a second node with the same type and name; getOrCreate returns the first', () => {
    const e = store.executions.create({
      typeId: exeType,
      name: 'run',
      lastKnownState: ExecutionState.RUNNING,
    });
    expect(e.lastKnownState).toBe(ExecutionState.RUNNING);
    expect(() => store.executions.create({ typeId: exeType, name: 'run' })).toThrow(
      expect.objectContaining({ code: 'MLMD_ALREADY_EXISTS' }),
    );
    const again = store.executions.getOrCreate({
      typeId: exeType,
      name: 'run',
      properties: { id: 5 },
    });
    expect(again).toMatchObject({ created: false, value: { id: e.id } });
    // Unnamed executions may repeat.
    store.executions.create({ typeId: exeType });
    store.executions.create({ typeId: exeType });
    expect(store.executions.listByType(exeType)).toHaveLength(3);
    expect(() => store.contexts.create({ typeId: ctxType, name: '' })).toThrow(
      expect.objectContaining({ code: 'MLMD_INVALID_ARGUMENT' }),
    );
    expect(() => store.contexts.create({ typeId: exeType, name: 'x' })).toThrow(
      expect.objectContaining({ code: 'MLMD_INVALID_ARGUMENT' }),
    );
  });

  it('sees properties declared on the type by another connection after opening', () => {
    const other = MlmdStore.open(store.path);
    const c = store.contexts.create({ typeId: ctxType, name: 'c' });
    other.types.put(TypeKind.CONTEXT, 'Ctx', { properties: { Q: PropertyType.INT } });
    other.close();
    expect(store.contexts.update(c.id, { properties: { Q: 4 } }).properties.Q?.value).toBe(4);
  });
});

describe('links and queries', () => {
  let store: MlmdStore;
  beforeEach(() => {
    store = MlmdStore.open(join(tempDir(), 'mlmd'));
    return () => store.close();
  });

  function fixture() {
    const pipeT = store.types.put(TypeKind.CONTEXT, 'Pipe').id;
    const stageT = store.types.put(TypeKind.CONTEXT, 'Stage').id;
    const exeT = store.types.put(TypeKind.EXECUTION, 'Run').id;
    const artT = store.types.put(TypeKind.ARTIFACT, 'File', {
      properties: { p: PropertyType.STRING },
    }).id;
    const pipe = store.contexts.create({ typeId: pipeT, name: 'pipe' });
    const s1 = store.contexts.create({ typeId: stageT, name: 'pipe/a' });
    const s2 = store.contexts.create({ typeId: stageT, name: 'pipe/b' });
    const e1 = store.executions.create({ typeId: exeT });
    const e2 = store.executions.create({ typeId: exeT });
    const a1 = store.artifacts.create({ typeId: artT, uri: 'h1', properties: { p: 'one' } });
    const a2 = store.artifacts.create({ typeId: artT, uri: 'h2', customProperties: { n: 2 } });
    return { pipeT, stageT, exeT, artT, pipe, s1, s2, e1, e2, a1, a2 };
  }

  it('inserts associations, attributions and parent contexts idempotently', () => {
    const f = fixture();
    expect(store.links.addParentContext(f.s1.id, f.pipe.id)).toBe(true);
    expect(store.links.addParentContext(f.s1.id, f.pipe.id)).toBe(false);
    expect(store.links.associate(f.s1.id, f.e1.id)).toBe(true);
    expect(store.links.associate(f.s1.id, f.e1.id)).toBe(false);
    expect(store.links.attribute(f.s1.id, f.a1.id)).toBe(true);
    expect(store.links.attribute(f.s1.id, f.a1.id)).toBe(false);
    const count = (t: string) =>
      (store.database.prepare(`SELECT count(*) AS c FROM ${t}`).get() as { c: number }).c;
    expect([count('ParentContext'), count('Association'), count('Attribution')]).toEqual([1, 1, 1]);
    expect(store.database.prepare('SELECT * FROM ParentContext').get()).toEqual({
      context_id: f.s1.id,
      parent_context_id: f.pipe.id,
    });
    // The ignored inserts did not consume AUTOINCREMENT ids.
    expect(
      store.database.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'Association'").get(),
    ).toEqual({ seq: 1 });
    expect(() => store.links.associate(f.s1.id, 999)).toThrow(
      expect.objectContaining({ code: 'MLMD_NOT_FOUND' }),
    );
    expect(() => store.links.addParentContext(f.s1.id, f.s1.id)).toThrow(
      expect.objectContaining({ code: 'MLMD_INVALID_ARGUMENT' }),
    );
  });

  it('writes events with ordered paths and get-or-creates on (artifact, execution, type)', () => {
    const f = fixture();
    const ev = store.links.putEvent({
      artifactId: f.a1.id,
      executionId: f.e1.id,
      type: EventType.INPUT,
      millisecondsSinceEpoch: 1_700_000_000_123,
      path: [{ key: 'data.csv:h1' }, { index: 2 }, { key: 'z' }],
    });
    expect(ev.created).toBe(true);
    expect(ev.value).toMatchObject({ type: 3, millisecondsSinceEpoch: 1_700_000_000_123 });
    expect(
      store.database
        .prepare(
          'SELECT event_id, is_index_step, step_index, step_key FROM EventPath ORDER BY rowid',
        )
        .all(),
    ).toEqual([
      { event_id: ev.value.id, is_index_step: 0, step_index: null, step_key: 'data.csv:h1' },
      { event_id: ev.value.id, is_index_step: 1, step_index: 2, step_key: null },
      { event_id: ev.value.id, is_index_step: 0, step_index: null, step_key: 'z' },
    ]);
    const again = store.links.putEvent({
      artifactId: f.a1.id,
      executionId: f.e1.id,
      type: EventType.INPUT,
      path: [{ key: 'other' }],
    });
    expect(again.created).toBe(false);
    expect(again.value).toEqual(ev.value);
    expect(
      (store.database.prepare('SELECT count(*) AS c FROM EventPath').get() as { c: number }).c,
    ).toBe(3);
    // Another type for the same pair is another event; no time given means now, in ms.
    const before = Date.now();
    const out = store.links.putEvent({
      artifactId: f.a1.id,
      executionId: f.e1.id,
      type: EventType.OUTPUT,
    });
    expect(out.created).toBe(true);
    expect(out.value.millisecondsSinceEpoch).toBeGreaterThanOrEqual(before);
    expect(
      store.database
        .prepare(
          'SELECT typeof(milliseconds_since_epoch) AS t, typeof(type) AS u FROM Event WHERE id = ?',
        )
        .get(out.value.id),
    ).toEqual({ t: 'integer', u: 'integer' });
    expect(() =>
      store.links.putEvent({ artifactId: f.a1.id, executionId: f.e1.id, type: EventType.UNKNOWN }),
    ).toThrow(expect.objectContaining({ code: 'MLMD_INVALID_ARGUMENT' }));
  });

  it('answers the listing queries', () => {
    const f = fixture();
    store.links.addParentContext(f.s1.id, f.pipe.id);
    store.links.addParentContext(f.s2.id, f.pipe.id);
    store.links.associate(f.s1.id, f.e1.id);
    store.links.associate(f.s2.id, f.e2.id);
    store.links.attribute(f.s1.id, f.a1.id);
    store.links.attribute(f.s2.id, f.a2.id);
    store.links.putEvent({ artifactId: f.a1.id, executionId: f.e1.id, type: EventType.OUTPUT });
    store.links.putEvent({
      artifactId: f.a1.id,
      executionId: f.e2.id,
      type: EventType.INPUT,
      path: [{ key: 'k' }],
    });
    store.links.putEvent({ artifactId: f.a2.id, executionId: f.e2.id, type: EventType.OUTPUT });

    expect(store.contexts.listByTypeName('Pipe').map((c) => c.name)).toEqual(['pipe']);
    expect(store.contexts.listByTypeName('Stage').map((c) => c.name)).toEqual(['pipe/a', 'pipe/b']);
    expect(store.contexts.children(f.pipe.id).map((c) => c.name)).toEqual(['pipe/a', 'pipe/b']);
    expect(store.contexts.parents(f.s1.id).map((c) => c.id)).toEqual([f.pipe.id]);
    expect(store.contexts.ofExecution(f.e2.id).map((c) => c.id)).toEqual([f.s2.id]);
    expect(store.contexts.ofArtifact(f.a1.id).map((c) => c.id)).toEqual([f.s1.id]);
    expect(store.executions.byContext(f.s1.id).map((e) => e.id)).toEqual([f.e1.id]);
    expect(store.executions.byArtifact(f.a1.id).map((e) => e.id)).toEqual([f.e1.id, f.e2.id]);
    expect(store.executions.byArtifact(f.a1.id, EventType.INPUT).map((e) => e.id)).toEqual([
      f.e2.id,
    ]);
    expect(store.artifacts.byContext(f.s2.id).map((a) => a.customProperties)).toEqual([
      { n: { type: 'int', value: 2 } },
    ]);
    expect(store.artifacts.byExecution(f.e2.id).map((a) => a.id)).toEqual([f.a1.id, f.a2.id]);
    expect(store.artifacts.byExecution(f.e2.id, EventType.OUTPUT).map((a) => a.id)).toEqual([
      f.a2.id,
    ]);
    const evs = store.links.eventsOfExecutions([f.e2.id]);
    expect(evs.map((e) => [e.artifactId, e.type, e.path])).toEqual([
      [f.a1.id, EventType.INPUT, [{ key: 'k' }]],
      [f.a2.id, EventType.OUTPUT, []],
    ]);
    expect(store.links.eventsOfArtifacts([f.a1.id]).map((e) => e.executionId)).toEqual([
      f.e1.id,
      f.e2.id,
    ]);
    expect(store.links.hasEvent(f.a1.id, f.e2.id)).toBe(true);
    expect(store.links.hasEvent(f.a2.id, f.e1.id)).toBe(false);
    expect(store.links.associationsOf([f.s1.id, f.s2.id])).toEqual([
      { contextId: f.s1.id, executionId: f.e1.id },
      { contextId: f.s2.id, executionId: f.e2.id },
    ]);
    expect(store.links.attributionsOf([f.s2.id])).toEqual([
      { contextId: f.s2.id, artifactId: f.a2.id },
    ]);
    const props = store.artifacts.getProperties([f.a1.id, f.a2.id]);
    expect(props.get(f.a1.id)?.properties.p?.value).toBe('one');
    expect(store.artifacts.list({ properties: false })[0]?.properties).toEqual({});
  });

  it('lists many nodes with their properties in a constant number of statements', () => {
    const t = store.types.put(TypeKind.ARTIFACT, 'Bulk', {
      properties: { u: PropertyType.STRING },
    }).id;
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) {
        store.artifacts.create({
          typeId: t,
          uri: `h${i}`,
          properties: { u: `x${i}` },
          customProperties: { i },
        });
      }
    });
    let traced: string[] = [];
    const fresh = MlmdStore.open(store.path, { readonly: true, trace: (sql) => traced.push(sql) });
    traced = [];
    const all = fresh.artifacts.listByType(t);
    expect(all).toHaveLength(2000);
    expect(all[1999]?.properties.u).toEqual({ type: 'string', value: 'x1999' });
    expect(all[1999]?.customProperties.i).toEqual({ type: 'int', value: 1999 });
    const selects = traced.filter((sql) => /^\s*SELECT/i.test(sql));
    expect(selects).toHaveLength(2);
    traced = [];
    expect(fresh.artifacts.getMany(all.map((a) => a.id))).toHaveLength(2000);
    expect(traced.filter((sql) => /^\s*SELECT/i.test(sql))).toHaveLength(2);
    fresh.close();
  });

  it('groups writes into one transaction that rolls back as a whole', () => {
    const t = store.types.put(TypeKind.ARTIFACT, 'T').id;
    expect(() =>
      store.transaction(() => {
        store.artifacts.create({ typeId: t, name: 'a' });
        store.artifacts.create({ typeId: t, name: 'a' });
      }),
    ).toThrow(expect.objectContaining({ code: 'MLMD_ALREADY_EXISTS' }));
    expect(store.artifacts.list()).toEqual([]);
  });
});
