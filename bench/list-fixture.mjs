// Builds bench MLMD files in the shape cmflib writes (pipeline → stages → executions →
// Dataset artifacts with events and attributions), quickly: the schema and types through
// our store, the rows with direct SQL in one transaction. Reused when already built.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { MlmdStore, TypeKind } from '../dist/mlmd/index.js';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_PROPERTIES } from '../dist/cmf/conventions.js';

/** `artifacts` Dataset artifacts of pipeline `pipeline`, 1,000 per execution, 4 stages. */
export function prepareListFixture(path, { artifacts = 100_000, pipeline = 'P' } = {}) {
  if (existsSync(path)) return path;
  const tmp = `${path}.building`;
  rmSync(tmp, { force: true });
  const store = MlmdStore.open(tmp);
  const t = store.types;
  const parentType = t.put(TypeKind.CONTEXT, 'Parent_Context', {
    properties: CONTEXT_TYPES.Parent_Context,
  }).id;
  const stageType = t.put(TypeKind.CONTEXT, 'Pipeline_Stage', {
    properties: CONTEXT_TYPES.Pipeline_Stage,
  }).id;
  const datasetType = t.put(TypeKind.ARTIFACT, 'Dataset', {
    properties: ARTIFACT_TYPES.Dataset,
  }).id;
  const db = store.database;
  const now = Date.now();
  const q = (sql) => db.prepare(sql);
  const ctx = q(
    'INSERT INTO Context (type_id, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, ?, ?)',
  );
  const ctxProp = q(
    'INSERT INTO ContextProperty (context_id, name, is_custom_property, string_value) VALUES (?, ?, 0, ?)',
  );
  const exe = q(
    'INSERT INTO Execution (type_id, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, ?)',
  );
  const exeProp = q(
    'INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, int_value, string_value) VALUES (?, ?, ?, ?, ?)',
  );
  const art = q(
    'INSERT INTO Artifact (type_id, uri, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?)',
  );
  const artProp = q(
    'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value, string_value) VALUES (?, ?, ?, ?, ?)',
  );
  const event = q(
    'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, 4, ?)',
  );
  const attribution = q('INSERT INTO Attribution (context_id, artifact_id) VALUES (?, ?)');
  const association = q('INSERT INTO Association (context_id, execution_id) VALUES (?, ?)');
  const parent = q('INSERT INTO ParentContext (context_id, parent_context_id) VALUES (?, ?)');
  const id = (info) => info.lastInsertRowid;
  db.transaction(() => {
    const p = id(ctx.run(parentType, pipeline, now, now));
    ctxProp.run(p, 'Pipeline', pipeline);
    const stages = [];
    for (let s = 0; s < 4; s++) {
      const name = `${pipeline}/stage${s}`;
      const sid = id(ctx.run(stageType, name, now, now));
      ctxProp.run(sid, 'Pipeline_Stage', name);
      parent.run(sid, p);
      stages.push({ id: sid, name });
    }
    const executions = Math.ceil(artifacts / 1000);
    let a = 0;
    for (let e = 0; e < executions; e++) {
      const stage = stages[e % stages.length];
      const typeId = t.put(TypeKind.EXECUTION, `step${e % stages.length}`, {
        properties: EXECUTION_PROPERTIES,
      }).id;
      const eid = id(exe.run(typeId, now, now));
      association.run(stage.id, eid);
      const strings = {
        Execution_uuid: `00000000-0000-11ee-0000-${String(e).padStart(12, '0')}`,
        Context_Type: stage.name,
        Execution: "['src/step.py']",
        Execution_type_name: stage.name,
        Pipeline_Type: pipeline,
        Git_Repo: 'https://github.com/example/project.git',
        Git_Start_Commit: 'a1b2c3d4',
        Git_End_Commit: 'e5f6a7b8',
      };
      for (const [k, v] of Object.entries(strings)) exeProp.run(eid, k, 0, null, v);
      exeProp.run(eid, 'Context_ID', 0, stage.id, null);
      exeProp.run(eid, 'Pipeline_id', 0, p, null);
      exeProp.run(eid, 'seed', 1, 42n, null);
      for (let i = 0; i < 1000 && a < artifacts; i++, a++) {
        const hash = a.toString(16).padStart(32, '0');
        const aid = id(art.run(datasetType, hash, `data/f${a}.csv:${hash}`, now, now));
        artProp.run(aid, 'git_repo', 0, null, 'https://github.com/example/project.git');
        artProp.run(aid, 'Commit', 0, null, hash);
        artProp.run(
          aid,
          'url',
          0,
          null,
          `${pipeline}:/remote/files/md5/${hash.slice(0, 2)}/${hash.slice(2)}`,
        );
        artProp.run(aid, 'rows', 1, BigInt(a), null);
        event.run(aid, eid, now);
        attribution.run(stage.id, aid);
      }
    }
  })();
  store.close();
  renameSync(tmp, path);
  return path;
}
