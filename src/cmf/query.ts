/**
 * Read-side queries over a cmf MLMD file, shaped as cmflib's listings shape them
 * (spec/cmf-reference.md §3.4–§3.6): one flat record per artifact or execution, type
 * properties under their own names and custom properties as `custom_properties_<key>`.
 *
 * Every listing costs a fixed number of statements whatever its size (stages, links, nodes,
 * properties), never one per row.
 *
 * Where we differ from cmflib, on purpose:
 * - An artifact attributed to several stages is listed once, under the first stage (§11.12).
 * - A pipeline that exists but has no artifacts (or executions) is an empty listing, not
 *   "pipeline not found".
 */
import { NotFoundError } from '../errors/index.js';
import { closest, didYouMean } from '../util/closest.js';
import { quotedCommand } from '../util/shell-quote.js';
import { visibleText } from '../util/visible-text.js';
import {
  STRUCT_PREFIX,
  TypeKind,
  decodeValue,
  plainValue,
  type MlmdContext,
  type MlmdExecution,
  type MlmdStore,
  type Properties,
} from '../mlmd/index.js';
import { PARENT_CONTEXT } from './conventions.js';
import { splitUuids } from './merge-document.js';
import { RawJson } from './raw-json.js';
import { setOwn } from '../util/own-keys.js';

/** A cell of a listing record. Integers beyond 2^53 stay bigints. */
export type Cell = string | number | bigint | boolean;
export type Row = Record<string, Cell>;

export const CUSTOM_PREFIX = 'custom_properties_';

/** All pipelines (`Parent_Context` contexts), in id order. */
export function listPipelines(store: MlmdStore): MlmdContext[] {
  return store.contexts.listByTypeName(PARENT_CONTEXT);
}

/** The pipeline context with this name; NotFoundError (exit 3) naming the ones that exist. */
export function requirePipeline(store: MlmdStore, name: string): MlmdContext {
  const type = store.types.get(TypeKind.CONTEXT, PARENT_CONTEXT);
  const found = type ? store.contexts.getByName(type.id, name) : undefined;
  if (found) return found;
  const known = type ? store.contexts.listByType(type.id, { properties: false }) : [];
  throw pipelineNotFoundError(
    name,
    store.path,
    known.map((c) => c.name),
  );
}

/** How many pipeline names a not-found hint (and its data) lists. */
const FEW = 10;

/**
 * PIPELINE_NOT_FOUND for `name` in the store at `location`: the hint suggests the closest of
 * `known` (`test-env` → 'Test-env'), else lists (some of) them. The names are metadata from
 * anyone: the text shows them escaped (visibleText) or shell-quoted, `data` exactly. A name
 * that differs from the one given only in Unicode normalisation (NFD from macOS vs NFC)
 * looks identical on screen, so the hint says so rather than suggesting it unexplained.
 */
export function pipelineNotFoundError(
  name: string,
  location: string,
  known: string[],
): NotFoundError {
  const lookalike = known.find((k) => k.normalize('NFC') === name.normalize('NFC'));
  const suggestions = lookalike === undefined ? closest(name, [...new Set(known)]) : [lookalike];
  let hint: string;
  if (lookalike !== undefined) {
    hint = normalisationHint('pipeline', lookalike, name, ['cmf', 'pipeline', 'list', '--json']);
  } else if (suggestions.length > 0) {
    hint = `${didYouMean(suggestions)} 'cmf pipeline list' shows the pipelines.`;
  } else if (known.length === 0) {
    hint = 'This MLMD file holds no pipelines; check the path given with -f/--file_name.';
  } else if (known.length <= FEW) {
    hint = `Pipelines in this file: ${known.map(visibleText).join(', ')}.`;
  } else {
    const shown = known.slice(0, FEW).map(visibleText).join(', ');
    hint = `Pipelines in this file: ${shown} and ${known.length - FEW} more. Run 'cmf pipeline list' to see them all.`;
  }
  return new NotFoundError(
    'PIPELINE_NOT_FOUND',
    `Pipeline "${visibleText(name)}" doesn't exist in ${location}`,
    {
      hint,
      data: {
        pipeline: name,
        path: location,
        pipelines: known.slice(0, FEW),
        suggestions,
        ...(lookalike === undefined ? {} : { sameAfterNormalisation: lookalike }),
      },
    },
  );
}

/**
 * The hint for a `what` (pipeline, artifact) not found as `given` while `stored` exists and
 * differs from it only in Unicode normalisation: the two look identical on screen.
 * `listing` is the command (its words) that shows the stored name exactly.
 */
export function normalisationHint(
  what: string,
  stored: string,
  given: string,
  listing: readonly string[],
): string {
  return (
    `${/^[aeiou]/.test(what) ? 'An' : 'A'} ${what} "${visibleText(stored)}" exists: its name differs from the one given only ` +
    `in Unicode normalisation (${normalForm(stored)} vs ${normalForm(given)}). ` +
    `Pass the name as stored (${quotedCommand(listing)} shows it exactly).`
  );
}

/** Which Unicode normal form `s` is in, for messages. */
function normalForm(s: string): string {
  if (s === s.normalize('NFC')) return 'NFC';
  if (s === s.normalize('NFD')) return 'NFD';
  return 'mixed';
}

/** Stage contexts of a pipeline (its child contexts), in id order. */
export function pipelineStages(store: MlmdStore, pipeline: MlmdContext): MlmdContext[] {
  return store.contexts.children(pipeline.id);
}

/**
 * Node ids linked to the stages, stage by stage in stage order and by id within a stage
 * (the order cmflib's per-stage MLMD queries give); each id once unless `repeat`.
 */
function idsByStage(
  stages: MlmdContext[],
  pairs: { contextId: number; id: number }[],
  repeat: boolean,
): number[] {
  const perStage = new Map<number, number[]>(stages.map((s) => [s.id, []]));
  for (const p of pairs) perStage.get(p.contextId)?.push(p.id);
  const seen = new Set<number>();
  const out: number[] = [];
  for (const s of stages) {
    for (const id of (perStage.get(s.id) ?? []).sort((a, b) => a - b)) {
      if (!repeat && seen.has(id)) continue;
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/** Executions of a pipeline, stage by stage, as MLMD records. */
export function pipelineExecutions(
  store: MlmdStore,
  pipeline: MlmdContext,
): { stages: MlmdContext[]; executions: MlmdExecution[] } {
  return store.read(() => {
    const stages = pipelineStages(store, pipeline);
    const pairs = store.links
      .associationsOf(stages.map((s) => s.id))
      .map((a) => ({ contextId: a.contextId, id: a.executionId }));
    const byId = new Map(store.executions.getMany(pairs.map((p) => p.id)).map((e) => [e.id, e]));
    const executions = idsByStage(stages, pairs, false).flatMap((id) => byId.get(id) ?? []);
    return { stages, executions };
  });
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** The value columns of a property row as read in raw mode (see ValueRow). */
type PropertyCells = [
  number | null,
  number | string | null,
  string | null,
  string | Buffer | null,
  number | string | null,
];

/**
 * Artifact records of these stages, each artifact once, stage by stage and by id within a
 * stage. Built straight from two SQL statements in raw (array) mode: a pipeline can hold
 * 100,000 artifacts and the generic node records would cost several times the time and
 * memory. Values are read as MLMD reads them (first non-NULL of int, double, string);
 * integers beyond 2^53 come back as text and become bigints.
 */
function stageArtifactRows(
  store: MlmdStore,
  stages: MlmdContext[],
  ids?: readonly number[],
): Row[] {
  const db = store.database;
  const stageIds = JSON.stringify(stages.map((s) => s.id));
  // Only the artifacts `ids` names, if given (an empty JSON array selects none).
  const only = ids === undefined ? '' : 'AND at.artifact_id IN (SELECT value FROM json_each(?))';
  const params = ids === undefined ? [stageIds] : [stageIds, JSON.stringify(ids)];
  const nodes = db
    .prepare(
      `SELECT at.context_id, a.id, t.name, a.uri, a.name, a.create_time_since_epoch, a.last_update_time_since_epoch
       FROM Attribution at JOIN Artifact a ON a.id = at.artifact_id JOIN Type t ON t.id = a.type_id
       WHERE at.context_id IN (SELECT value FROM json_each(?)) ${only}`,
    )
    .raw()
    .all(...params) as [number, number, string, string | null, string | null, number, number][];
  const rowsById = new Map<number, Row>();
  const pairs: { contextId: number; id: number }[] = [];
  for (const [contextId, id, type, uri, name, created, updated] of nodes) {
    pairs.push({ contextId, id });
    rowsById.set(id, {
      id,
      type,
      uri: uri ?? '',
      name: name ?? '',
      create_time_since_epoch: created,
      last_update_time_since_epoch: updated,
    });
  }
  // The value columns, decoded by decodeValue as every other read of the store decodes them
  // (NaN kept as the text 'NaN', bools, structs), so all listings show a value alike; ints
  // beyond 2^53 also come back as text. Joined through Attribution so each artifact's
  // properties arrive together, declared and custom interleaved by name.
  const props = db
    .prepare(
      `SELECT p.artifact_id, p.name, p.is_custom_property,
         p.int_value, p.double_value, p.string_value, p.proto_value, p.bool_value,
         CASE WHEN p.int_value NOT BETWEEN -${SAFE} AND ${SAFE} THEN CAST(p.int_value AS TEXT) END
       FROM Attribution at JOIN ArtifactProperty p ON p.artifact_id = at.artifact_id
       WHERE at.context_id IN (SELECT value FROM json_each(?)) ${only}`,
    )
    .raw()
    .all(...params) as [number, string, number | string, ...PropertyCells, string | null][];
  // Declared properties first, then custom ones (as the store's records order them).
  let current: Row | undefined;
  let currentId = -1;
  let custom: [string, Cell][] = [];
  const flush = () => {
    if (current) for (const [k, v] of custom) current[k] = v;
    custom = [];
  };
  for (const [id, name, isCustom, int, double, string, proto, bool, big] of props) {
    if (id !== currentId) {
      flush();
      currentId = id;
      current = rowsById.get(id);
    }
    if (!current) continue;
    const cells = {
      int_value: big !== null ? BigInt(big) : int,
      double_value: double,
      string_value: string,
      proto_value: proto,
      bool_value: bool,
    };
    const value = plainValue(
      decodeValue(cells, { table: 'ArtifactProperty', artifact_id: id, name }),
    );
    if (Number(isCustom) === 1 || isCustom === 'true') custom.push([CUSTOM_PREFIX + name, value]);
    else setOwn(current, name, value);
  }
  flush();
  const rows: Row[] = [];
  for (const id of idsByStage(stages, pairs, false)) {
    const row = rowsById.get(id);
    if (row) rows.push(row);
  }
  return rows;
}

/**
 * A JSON value as JSON.stringify writes it, from SQL (for the values SQLite's own JSON
 * rendering would write differently: doubles, which SQLite writes as `3000.0` or
 * `4.9406564584124654e-324` where JS writes `3000` and `5e-324`, and blobs, which JSON
 * cannot hold and which the listing shows as base64 text).
 */
const JSON_VALUE_FN = 'cmf_json_value';
function jsonValueFn(v: unknown): string {
  return JSON.stringify(Buffer.isBuffer(v) ? v.toString('base64') : v) ?? 'null';
}

/** SQL for `v`'s JSON text, as JSON.stringify writes the value better-sqlite3 reads. */
const sqlJson = (v: string) =>
  `CASE typeof(${v}) WHEN 'integer' THEN ${v} WHEN 'text' THEN json_quote(${v}) ELSE ${JSON_VALUE_FN}(${v}) END`;
const PROP_VALUE =
  'COALESCE(p.int_value, p.double_value, p.string_value, p.proto_value, p.bool_value)';
/**
 * A property's JSON as decodeValue reads it: the first value column set; a struct without
 * its `mlmd-struct::` marker; a bool as true/false (stored 1/0, or text). Doubles held as
 * text (NaN) and rows with no value are ODD_VALUE: the row objects decode (or refuse) them.
 */
const PROP_JSON = `CASE
    WHEN p.int_value IS NOT NULL THEN ${sqlJson('p.int_value')}
    WHEN p.double_value IS NOT NULL THEN ${JSON_VALUE_FN}(p.double_value)
    WHEN p.string_value IS NOT NULL THEN json_quote(CASE
      WHEN substr(p.string_value, 1, ${STRUCT_PREFIX.length}) = '${STRUCT_PREFIX}'
      THEN substr(p.string_value, ${STRUCT_PREFIX.length + 1}) ELSE p.string_value END)
    WHEN p.proto_value IS NOT NULL THEN ${sqlJson('p.proto_value')}
    WHEN CASE typeof(p.bool_value) WHEN 'text' THEN p.bool_value = '1' OR lower(p.bool_value) = 'true'
      ELSE p.bool_value <> 0 END THEN 'true'
    ELSE 'false' END`;
const ODD_VALUE = `(${PROP_VALUE} IS NULL OR (p.int_value IS NULL AND typeof(p.double_value) = 'text'))`;
const IS_CUSTOM = `(p.is_custom_property = 1 OR p.is_custom_property = 'true')`;
/**
 * Declared property names a JS object would not keep in place (a base field's name,
 * `__proto__`, an integer-like key, a custom property's key): the row-object path decides.
 */
const ODD_NAME =
  `p.name IN ('id', 'type', 'uri', 'name', 'create_time_since_epoch', 'last_update_time_since_epoch', '__proto__')` +
  ` OR p.name GLOB '[0-9]*' OR p.name GLOB '${CUSTOM_PREFIX}*'`;
/** Marks a record the fast path must not render: JSON text never holds a raw U+0001. */
const ODD_MARK = 1;
const RECORDS_PER_CHUNK = 1000;

/**
 * One statement: the JSON text of the artifacts of the stages given as a JSON array, in
 * listing order, as the elements of a 2-space pretty-printed array, joined in chunks of
 * RECORDS_PER_CHUNK records (UTF-8 blobs: a few large buffers cost far less to hand to JS
 * than 100,000 strings). Same order, keys and values as `stageArtifactRows`.
 */
const ARTIFACT_JSON_SQL = (() => {
  const props = (custom: boolean) => {
    const key = custom ? `'${CUSTOM_PREFIX}' || p.name` : 'p.name';
    const parts = `group_concat(format(',\n    %s: %s', json_quote(${key}), ${PROP_JSON}), '' ORDER BY p.name)`;
    const odd = custom ? ODD_VALUE : `${ODD_VALUE} OR ${ODD_NAME}`;
    const text = `CASE WHEN max(${odd}) THEN char(${ODD_MARK}) ELSE '' END || ${parts}`;
    return `(SELECT ${text} FROM ArtifactProperty p
       WHERE p.artifact_id = a.id AND ${custom ? '' : 'NOT '}${IS_CUSTOM})`;
  };
  const record =
    `format('  {\n    "id": %s,\n    "type": %s,\n    "uri": %s,\n    "name": %s,\n` +
    `    "create_time_since_epoch": %s,\n    "last_update_time_since_epoch": %s%s%s\n  }', ` +
    `${sqlJson('a.id')}, json_quote(t.name), json_quote(COALESCE(a.uri, '')), json_quote(COALESCE(a.name, '')), ` +
    `${sqlJson('a.create_time_since_epoch')}, ${sqlJson('a.last_update_time_since_epoch')}, ` +
    `${props(false)}, ${props(true)})`;
  // Each artifact once, under its first stage (stage rank = position in the array).
  const order = `SELECT at.artifact_id AS id, row_number() OVER (ORDER BY MIN(s.key), at.artifact_id) AS n
     FROM Attribution at JOIN json_each(?) s ON at.context_id = s.value GROUP BY at.artifact_id`;
  const chunk = `(f.n - 1) / ${RECORDS_PER_CHUNK}`;
  return `SELECT CAST(group_concat(${record}, ',\n' ORDER BY f.n) AS BLOB)
     FROM (${order}) f JOIN Artifact a ON a.id = f.id JOIN Type t ON t.id = a.type_id
     GROUP BY ${chunk} ORDER BY ${chunk}`;
})();

/**
 * The `--json` document of `artifactRows(store, pipelineName)`, byte for byte what
 * `jsonText(artifactRows(...))` writes, but built by SQLite as text: no row objects, no
 * JSON.stringify (about 3 times faster and a fraction of the memory on 100,000 artifacts).
 * Records whose property names a JS object would reorder or drop (rare, see ODD_NAME) make
 * the whole listing go through the row objects instead.
 */
export function artifactRowsJson(store: MlmdStore, pipelineName: string): RawJson {
  const pipeline = requirePipeline(store, pipelineName);
  return store.read(() => {
    const stages = pipelineStages(store, pipeline);
    const db = store.database;
    db.function(JSON_VALUE_FN, { deterministic: true }, jsonValueFn);
    const chunks = db
      .prepare(ARTIFACT_JSON_SQL)
      .pluck()
      .all(JSON.stringify(stages.map((s) => s.id))) as Buffer[];
    if (chunks.some((c) => c.includes(ODD_MARK))) {
      return RawJson.of(stageArtifactRows(store, stages));
    }
    if (chunks.length === 0) return new RawJson(['[]']);
    const pieces: (Buffer | string)[] = ['[\n'];
    chunks.forEach((c, i) => pieces.push(...(i === 0 ? [c] : [',\n', c])));
    pieces.push('\n]');
    return new RawJson(pieces);
  });
}

function addProperties(row: Row, properties: Properties, custom: Properties): Row {
  for (const [k, v] of Object.entries(properties)) setOwn(row, k, v.value);
  for (const [k, v] of Object.entries(custom)) row[CUSTOM_PREFIX + k] = v.value;
  return row;
}

/** cmflib's execution record: id, name ('' when unnamed), properties, custom properties. */
export function executionRow(e: MlmdExecution): Row {
  return addProperties({ id: e.id, name: e.name ?? '' }, e.properties, e.customProperties);
}

/** A pipeline record for `cmf pipeline list --json`. */
export function pipelineRow(p: MlmdContext): Row {
  return addProperties(
    {
      id: p.id,
      name: p.name,
      create_time_since_epoch: p.createTimeSinceEpoch,
      last_update_time_since_epoch: p.lastUpdateTimeSinceEpoch,
    },
    {},
    p.customProperties,
  );
}

/** Execution records of a pipeline; only those holding `uuid` in their Execution_uuid list if given. */
export function executionRows(store: MlmdStore, pipelineName: string, uuid?: string): Row[] {
  const pipeline = requirePipeline(store, pipelineName);
  const rows = pipelineExecutions(store, pipeline).executions.map(executionRow);
  if (uuid === undefined) return rows;
  const matches = rows.filter((r) => hasUuid(r.Execution_uuid, uuid));
  if (matches.length === 0) {
    throw executionNotFound(pipelineName, uuid, executionUuids(rows.map((r) => r.Execution_uuid)));
  }
  return matches;
}

/** The distinct uuids in Execution_uuid values (each a comma-joined list). */
export function executionUuids(values: readonly (Cell | undefined)[]): string[] {
  return [...new Set(values.flatMap((v) => (typeof v === 'string' ? splitUuids(v) : [])))];
}

/**
 * The error for an execution uuid that no execution of the pipeline holds (`location`, the
 * MLMD file, when the message should name it). As in cmflib a uuid must be given whole, but
 * the hint suggests the closest of `known`: the uuid a prefix was cut from (`-e 6c20de50`),
 * or one a character off.
 */
export function executionNotFound(
  pipelineName: string,
  uuid: string,
  known: readonly string[],
  location?: string,
): NotFoundError {
  const wanted = normalUuid(uuid);
  const suggestions = closest(wanted, [...new Set(known.map(normalUuid))]);
  const listing = quotedCommand(['cmf', 'execution', 'list', '-p', pipelineName]);
  const whole = suggestions.some((u) => u.startsWith(wanted)) ? ' -e takes the whole uuid.' : '';
  return new NotFoundError(
    'EXECUTION_NOT_FOUND',
    `Execution uuid ${uuid} is not present in pipeline "${pipelineName}"${location === undefined ? '' : ` of ${location}`}`,
    {
      hint:
        suggestions.length > 0
          ? `${didYouMean(suggestions)}${whole} ${listing} shows the executions and their uuids.`
          : `Run ${listing} to see the executions and their uuids.`,
      data: { pipeline: pipelineName, uuid, suggestions },
    },
  );
}

/**
 * An execution uuid as `-e` means it: spaces aside, in any case. cmflib writes uuids in
 * lower case, which is what a server (Python's compares exactly) is sent.
 */
export function normalUuid(uuid: string): string {
  return uuid.trim().toLowerCase();
}

/** Whether a comma-joined Execution_uuid value holds `uuid` (see normalUuid). */
export function hasUuid(value: Cell | undefined, uuid: string): boolean {
  const wanted = normalUuid(uuid);
  return typeof value === 'string' && value.split(',').some((u) => normalUuid(u) === wanted);
}

/**
 * Artifact records of a pipeline, or of those of its artifacts `ids` names, in listing order
 * (`-a` selection: src/artifacts/select.ts).
 */
export function artifactRows(
  store: MlmdStore,
  pipelineName: string,
  ids?: readonly number[],
): Row[] {
  const pipeline = requirePipeline(store, pipelineName);
  return store.read(() => stageArtifactRows(store, pipelineStages(store, pipeline), ids));
}

/** An artifact's id and name ('' when it has none), without its properties. */
export interface ArtifactName {
  id: number;
  name: string;
}

/**
 * The ids and names of a pipeline's artifacts, in listing order; with `clues`, only those
 * whose name holds one of them (a substring, case and all): a few strings to compare
 * instead of 100,000 records with their properties.
 */
export function artifactNames(
  store: MlmdStore,
  pipelineName: string,
  clues?: readonly string[],
): ArtifactName[] {
  const pipeline = requirePipeline(store, pipelineName);
  return store.read(() => {
    const stages = pipelineStages(store, pipeline);
    const holds =
      clues === undefined
        ? ''
        : 'AND EXISTS (SELECT 1 FROM json_each(?) c WHERE instr(a.name, c.value) > 0)';
    const params = [JSON.stringify(stages.map((s) => s.id))];
    if (clues !== undefined) params.push(JSON.stringify(clues));
    const found = store.database
      .prepare(
        `SELECT at.context_id, a.id, a.name FROM Attribution at JOIN Artifact a ON a.id = at.artifact_id
         WHERE at.context_id IN (SELECT value FROM json_each(?)) ${holds}`,
      )
      .raw()
      .all(...params) as [number, number, string | null][];
    const names = new Map(found.map(([, id, name]) => [id, name ?? '']));
    const pairs = found.map(([contextId, id]) => ({ contextId, id }));
    return idsByStage(stages, pairs, false).map((id) => ({ id, name: names.get(id)! }));
  });
}

/** A name an event links an artifact by, other than the artifact's own. */
export interface LinkName extends ArtifactName {
  uri: string;
  /** The event's path step key. */
  key: string;
}

/**
 * The names events link the pipeline's artifacts by when not their own (identical content
 * logged at a second path, see artifacts/collect.ts): every keyed step of any of their
 * events, by artifact id; usually none.
 */
export function linkNames(store: MlmdStore, pipelineName: string): LinkName[] {
  const pipeline = requirePipeline(store, pipelineName);
  return store.read(() => {
    const stageIds = JSON.stringify(pipelineStages(store, pipeline).map((s) => s.id));
    const found = store.database
      .prepare(
        `SELECT DISTINCT a.id, a.name, a.uri, p.step_key
         FROM Attribution at JOIN Artifact a ON a.id = at.artifact_id
           JOIN Event e ON e.artifact_id = a.id JOIN EventPath p ON p.event_id = e.id
         WHERE at.context_id IN (SELECT value FROM json_each(?))
           AND p.step_key <> '' AND p.step_key IS NOT a.name
         ORDER BY a.id`,
      )
      .raw()
      .all(stageIds) as [number, string | null, string | null, string][];
    return found.map(([id, name, uri, key]) => ({ id, name: name ?? '', uri: uri ?? '', key }));
  });
}
