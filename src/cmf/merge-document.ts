/**
 * The shape check of a `{"Pipeline": [...]}` exchange document (spec §6.1) before anything is
 * merged: the document becomes typed records, or the merge stops with a clear error naming
 * the offending place (`Pipeline[0].stages[1].executions[0].events[2].artifact.uri`), and
 * nothing is written. Ids, type ids and timestamps of the sender are read only where the
 * merge uses them (ordering, `original_create_time_since_epoch`); the receiver's own ids are
 * used for everything it writes.
 *
 * Numbers: a `PyFloat` is a double, a bigint or an integer number an int, any other number a
 * double (see exact-json.ts for how text is read so that `3000.0` stays a double, and
 * Python's `NaN`/`Infinity` are read at all; both stores keep such doubles). Booleans
 * are kept as MLMD bool values (our export writes bool properties as true/false; cmflib never
 * writes any).
 */
import { UsageError } from '../errors/index.js';
import {
  EventType,
  boolValue,
  doubleValue,
  intValue,
  stringValue,
  type Properties,
  type PropertyValue,
} from '../mlmd/index.js';
import { parseExactJson } from './exact-json.js';
import { PyFloat } from './python-json.js';
import { setOwn } from '../util/own-keys.js';

export interface DocArtifact {
  type: string;
  /** '' when the sender's artifact had no name (the export omits empty names). */
  name: string;
  /** '' when absent. */
  uri: string;
  properties: Properties;
  customProperties: Properties;
  /** The sender's create_time_since_epoch, if given. */
  createTime?: number;
}

export interface DocEvent {
  type: EventType;
  artifact: DocArtifact;
}

export interface DocExecution {
  /** The sender's execution type name. */
  type: string;
  /** '' for unnamed executions; a name means a reused execution. */
  name: string;
  /** The comma-split `Execution_uuid`; empty when the property is missing (an old cmf). */
  uuids: string[];
  properties: Properties;
  customProperties: Properties;
  events: DocEvent[];
  /** The sender's id (merge order: the sender's creation order), if given. */
  senderId?: number;
  createTime?: number;
  /** Where it sits in the document, for messages. */
  at: string;
}

/**
 * An execution as the merge plans with it (which to merge, in which order); `load` gives the
 * whole record when it is merged (read again from a spooled document, see document-spool.ts).
 */
export interface DocExecutionRef {
  uuids: string[];
  senderId?: number;
  at: string;
  load: () => DocExecution;
}

export interface DocStage {
  name: string;
  customProperties: Properties;
  executions: DocExecutionRef[];
  createTime?: number;
}

export interface DocPipeline {
  name: string;
  customProperties: Properties;
  stages: DocStage[];
}

/** A document whose structure cannot be merged (exit 2; the server answers 400/422). */
export class InvalidDocumentError extends UsageError {
  constructor(at: string, problem: string) {
    super('CMF_INVALID_DOCUMENT', `Invalid metadata document at ${at}: ${problem}`, {
      hint: 'Send the JSON that \'cmf metadata export\' writes: {"Pipeline": [{"name": ..., "stages": [...]}]}.',
      data: { at },
    });
  }
}

/**
 * The pipelines of a document given as JSON text or as parsed data, or undefined when it has
 * no pipelines at all: not JSON, not an object, or no non-empty `Pipeline` array (cmflib's
 * `invalid_json_payload`). Anything else malformed is an InvalidDocumentError.
 */
export function readDocument(document: unknown): DocPipeline[] | undefined {
  let data = document;
  if (typeof document === 'string') {
    try {
      data = parseExactJson(document);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return undefined;
    }
  }
  return readPipelines(data, (e, at) => {
    const execution = readExecution(e, at);
    return { uuids: execution.uuids, senderId: execution.senderId, at, load: () => execution };
  });
}

/** What an item of an `executions` list becomes (the item, and its place). */
export type ExecutionItem = (v: unknown, at: string) => DocExecutionRef;

/**
 * The pipelines of parsed data, checked in document order; the items of the executions
 * lists are read by `item`. Undefined when there are none (see readDocument).
 */
export function readPipelines(data: unknown, item: ExecutionItem): DocPipeline[] | undefined {
  if (!isObject(data) || !Array.isArray(data.Pipeline) || data.Pipeline.length === 0) {
    return undefined;
  }
  return data.Pipeline.map((p, i) => readPipeline(p, `Pipeline[${i}]`, item));
}

function readPipeline(v: unknown, at: string, item: ExecutionItem): DocPipeline {
  const o = object(v, at);
  return {
    name: text(o.name, `${at}.name`, false),
    customProperties: propertyMap(o.custom_properties, `${at}.custom_properties`),
    stages: list(o.stages, `${at}.stages`).map((s, i) => readStage(s, `${at}.stages[${i}]`, item)),
  };
}

function readStage(v: unknown, at: string, item: ExecutionItem): DocStage {
  const o = object(v, at);
  return {
    name: text(o.name, `${at}.name`, false),
    customProperties: propertyMap(o.custom_properties, `${at}.custom_properties`),
    executions: list(o.executions, `${at}.executions`).map((e, i) =>
      item(e, `${at}.executions[${i}]`),
    ),
    ...optionalInt(o.create_time_since_epoch, `${at}.create_time_since_epoch`, 'createTime'),
  };
}

export function readExecution(v: unknown, at: string): DocExecution {
  const o = object(v, at);
  const properties = propertyMap(o.properties, `${at}.properties`);
  const uuid = properties.Execution_uuid;
  if (uuid !== undefined && uuid.type !== 'string') {
    throw new InvalidDocumentError(`${at}.properties.Execution_uuid`, 'must be a string');
  }
  const contextType = properties.Context_Type;
  // The export always writes `type`; cmflib's merge names the type after Context_Type.
  const typeSource = o.type ?? (contextType?.type === 'string' ? contextType.value : undefined);
  return {
    type: text(typeSource, `${at}.type`, false),
    name: o.name === undefined || o.name === null ? '' : text(o.name, `${at}.name`, true),
    uuids: uuid ? splitUuids(uuid.value as string) : [],
    properties,
    customProperties: propertyMap(o.custom_properties, `${at}.custom_properties`),
    events: list(o.events, `${at}.events`).map((e, i) => readEvent(e, `${at}.events[${i}]`)),
    ...optionalInt(o.id, `${at}.id`, 'senderId'),
    ...optionalInt(o.create_time_since_epoch, `${at}.create_time_since_epoch`, 'createTime'),
    at,
  };
}

function readEvent(v: unknown, at: string): DocEvent {
  const o = object(v, at);
  const type = o.type;
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 1 || type > 7) {
    throw new InvalidDocumentError(`${at}.type`, 'must be an MLMD event type (3 input, 4 output)');
  }
  return { type: type as EventType, artifact: readArtifact(o.artifact, `${at}.artifact`) };
}

function readArtifact(v: unknown, at: string): DocArtifact {
  const o = object(v, at);
  return {
    type: text(o.type, `${at}.type`, false),
    name: o.name === undefined ? '' : text(o.name, `${at}.name`, true),
    uri: o.uri === undefined ? '' : text(o.uri, `${at}.uri`, true),
    properties: propertyMap(o.properties, `${at}.properties`),
    customProperties: propertyMap(o.custom_properties, `${at}.custom_properties`),
    ...optionalInt(o.create_time_since_epoch, `${at}.create_time_since_epoch`, 'createTime'),
  };
}

/** Items of a comma-joined Execution_uuid, without blanks. */
export function splitUuids(value: string): string[] {
  return value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat);
}

function object(v: unknown, at: string): Record<string, unknown> {
  if (!isObject(v)) throw new InvalidDocumentError(at, 'must be an object');
  return v;
}

/** An absent list is empty (the export always writes them; hand-written documents may not). */
function list(v: unknown, at: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new InvalidDocumentError(at, 'must be an array');
  return v;
}

function text(v: unknown, at: string, emptyOk: boolean): string {
  if (typeof v !== 'string') throw new InvalidDocumentError(at, 'must be a string');
  if (!emptyOk && v === '') throw new InvalidDocumentError(at, 'must not be empty');
  return v;
}

function optionalInt<K extends string>(v: unknown, at: string, key: K): Partial<Record<K, number>> {
  if (v === undefined || v === null) return {};
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { [key]: v } as Record<K, number>;
  throw new InvalidDocumentError(at, 'must be an integer');
}

/** A `properties`/`custom_properties` object → typed values (absent → empty). */
function propertyMap(v: unknown, at: string): Properties {
  if (v === undefined || v === null) return {};
  const o = object(v, at);
  const out: Properties = {};
  for (const [k, value] of Object.entries(o)) setOwn(out, k, propertyValue(value, `${at}.${k}`));
  return out;
}

function propertyValue(v: unknown, at: string): PropertyValue {
  if (typeof v === 'string') return stringValue(v);
  // NaN and infinities included: Python writes them as NaN/Infinity and both stores keep them.
  if (v instanceof PyFloat) return doubleValue(v.value);
  if (typeof v === 'bigint') return intValue(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? intValue(v) : doubleValue(v);
  if (typeof v === 'boolean') return boolValue(v);
  throw new InvalidDocumentError(at, 'a property value must be a string, number or boolean');
}
