/**
 * The JSON exchange format of one pipeline (cmflib's `dumptojson`, spec/cmf-reference.md
 * §6.1): what `cmf metadata export` writes and `cmf metadata push` sends.
 *
 * Each node copies, in this order, `create_time_since_epoch`, `custom_properties`, `id`,
 * `last_update_time_since_epoch`, `name`, `properties`, `type`, `type_id`, `uri` — skipping
 * an empty-string name or uri — after the keys its parent seeds first (`stages`,
 * `executions`, execution `type`/`name`/`events`, artifact `type`). Doubles stay doubles
 * (`PyFloat`), so `3000.0` is not turned into the int `3000` on the receiver.
 *
 * Where we differ from cmflib: a bool property (cmf never writes one) is `true`/`false`
 * rather than cmflib's `0.0`; struct and proto values are their Base64 text.
 */
import type { MlmdEvent, MlmdNode, MlmdStore, Properties } from '../mlmd/index.js';
import { PyFloat, pythonJson, type PyJson } from './python-json.js';
import { hasUuid, pipelineStages, requirePipeline } from './query.js';

type Obj = { [key: string]: PyJson };

export interface ExportOptions {
  /** Keep only executions whose comma-joined Execution_uuid holds this uuid (stages stay). */
  executionUuid?: string;
}

export interface ExportSummary {
  stages: number;
  executions: number;
  events: number;
}

function propertyMap(props: Properties, custom: boolean): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(props)) {
    const key = custom && k === 'type' ? 'user_type' : k;
    out[key] = v.type === 'double' ? new PyFloat(v.value) : v.value;
  }
  return out;
}

/** Copies a node's fields into `seed` in cmflib's order; seeded keys keep their place. */
function nodeAttributes(node: MlmdNode, seed: Obj): Obj {
  const out = seed;
  out.create_time_since_epoch = node.createTimeSinceEpoch;
  out.custom_properties = propertyMap(node.customProperties, true);
  out.id = node.id;
  out.last_update_time_since_epoch = node.lastUpdateTimeSinceEpoch;
  if (node.name) out.name = node.name;
  out.properties = propertyMap(node.properties, false);
  out.type = node.typeName;
  out.type_id = node.typeId;
  if ('uri' in node && node.uri !== '') out.uri = node.uri;
  return out;
}

/** The `{"Pipeline": [...]}` document of one pipeline, as plain data with typed numbers. */
export function exportDocument(
  store: MlmdStore,
  pipelineName: string,
  opts: ExportOptions = {},
): { document: Obj; summary: ExportSummary } {
  const pipeline = requirePipeline(store, pipelineName);
  return store.read(() => {
    const stages = pipelineStages(store, pipeline);
    const assoc = store.links.associationsOf(stages.map((s) => s.id));
    const executionsOf = group(assoc, (a) => a.contextId);
    const executions = new Map(
      store.executions.getMany(assoc.map((a) => a.executionId)).map((e) => [e.id, e]),
    );
    const events = store.links.eventsOfExecutions(executions.keys());
    const artifacts = new Map(
      store.artifacts.getMany(events.map((e) => e.artifactId)).map((a) => [a.id, a]),
    );
    const eventsOf = group<MlmdEvent>(events, (ev) => ev.executionId);
    const summary: ExportSummary = { stages: stages.length, executions: 0, events: 0 };
    const stageDocs = stages.map((stage) => {
      const ids = (executionsOf.get(stage.id) ?? [])
        .map((a) => a.executionId)
        .sort((a, b) => a - b);
      const execDocs: PyJson[] = [];
      for (const id of ids) {
        const exe = executions.get(id);
        if (!exe) continue;
        const uuid = exe.properties.Execution_uuid?.value;
        if (opts.executionUuid !== undefined && !hasUuid(uuid as string, opts.executionUuid)) {
          continue;
        }
        const eventDocs: PyJson[] = [];
        for (const ev of eventsOf.get(id) ?? []) {
          const art = artifacts.get(ev.artifactId);
          if (!art) continue;
          eventDocs.push({ type: ev.type, artifact: nodeAttributes(art, { type: art.typeName }) });
        }
        summary.executions++;
        summary.events += eventDocs.length;
        execDocs.push(
          nodeAttributes(exe, { type: exe.typeName, name: exe.name ?? '', events: eventDocs }),
        );
      }
      return nodeAttributes(stage, { executions: execDocs });
    });
    const document: Obj = { Pipeline: [nodeAttributes(pipeline, { stages: stageDocs })] };
    return { document, summary };
  });
}

/** The export file's text: `json.dumps(document, indent=2)`, no trailing newline. */
export function exportJsonText(document: PyJson): string {
  return pythonJson(document, 2);
}

function group<T>(items: T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}
