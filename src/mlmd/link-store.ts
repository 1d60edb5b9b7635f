/**
 * Edges between nodes: events (artifact–execution, with paths), associations
 * (context–execution), attributions (context–artifact) and parent contexts (child, parent).
 * Every insert is idempotent.
 */
import { type Connection, i64, idList } from './connection.js';
import { EventType } from './enums.js';
import { batchItemError, invalidArgumentError, notFoundError } from './errors.js';
import type { EventInput, EventStep, MlmdEvent, Put } from './records.js';

interface EventRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  milliseconds_since_epoch: number | null;
}

interface StepRow {
  event_id: number;
  is_index_step: number;
  step_index: number | null;
  step_key: string | null;
}

const EVENT_COLUMNS = 'id, artifact_id, execution_id, type, milliseconds_since_epoch';

export class LinkStore {
  private readonly conn: Connection;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  /**
   * Get-or-create the event (artifact, execution, type), which is UNIQUE in the schema. A new
   * event gets its path steps as EventPath rows in step order; an existing one is returned
   * unchanged.
   */
  putEvent(input: EventInput): Put<MlmdEvent> {
    const { type, path } = checkEventInput(input);
    return this.conn.write(() => {
      this.assertExists('Artifact', input.artifactId);
      this.assertExists('Execution', input.executionId);
      const found = this.conn
        .stmt(
          `SELECT ${EVENT_COLUMNS} FROM Event WHERE artifact_id = ? AND execution_id = ? AND type = ?`,
        )
        .get(i64(input.artifactId), i64(input.executionId), i64(type)) as EventRow | undefined;
      if (found) return { value: this.withPaths([found])[0] as MlmdEvent, created: false };
      const ms =
        input.millisecondsSinceEpoch === undefined
          ? this.conn.now()
          : i64(input.millisecondsSinceEpoch);
      const info = this.conn
        .stmt(
          'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, ?, ?)',
        )
        .run(i64(input.artifactId), i64(input.executionId), i64(type), ms);
      const id = Number(info.lastInsertRowid);
      const insertStep = this.conn.stmt(
        'INSERT INTO EventPath (event_id, is_index_step, step_index, step_key) VALUES (?, ?, ?, ?)',
      );
      for (const step of path) {
        if ('index' in step) insertStep.run(i64(id), 1n, i64(step.index), null);
        else insertStep.run(i64(id), 0n, null, step.key);
      }
      return { value: createdEvent(id, input, type, ms, path), created: true };
    });
  }

  /**
   * putEvent for each input in order (so new events get ascending ids in that order); says
   * for each whether it created the event (false: it existed, or an earlier input created
   * it). All or nothing: a refused input throws its error with `data.index`, writing none.
   */
  addEvents(inputs: readonly EventInput[]): boolean[] {
    return this.conn.write(() => this.each(inputs, (input) => this.putEvent(input).created));
  }

  /** associate for each (context id, execution id) pair in order, all or nothing. */
  associateMany(pairs: readonly (readonly [number, number])[]): boolean[] {
    return this.conn.write(() => this.each(pairs, ([c, e]) => this.associate(c, e)));
  }

  /** attribute for each (context id, artifact id) pair in order, all or nothing. */
  attributeMany(pairs: readonly (readonly [number, number])[]): boolean[] {
    return this.conn.write(() => this.each(pairs, ([c, a]) => this.attribute(c, a)));
  }

  private each<I, R>(items: readonly I[], fn: (item: I) => R): R[] {
    return items.map((item, i) => {
      try {
        return fn(item);
      } catch (err) {
        throw batchItemError(err, i);
      }
    });
  }

  /** Events of these executions with their paths, in event id order (one query each for events and paths). */
  eventsOfExecutions(executionIds: Iterable<number>): MlmdEvent[] {
    return this.events('execution_id', executionIds);
  }

  /** Events of these artifacts with their paths, in event id order. */
  eventsOfArtifacts(artifactIds: Iterable<number>): MlmdEvent[] {
    return this.events('artifact_id', artifactIds);
  }

  /**
   * Whether the artifact has an event (of any type) with the execution: one indexed lookup,
   * where {@link eventsOfArtifacts} reads every event of an artifact that thousands of
   * executions share (the environment file, a common input).
   */
  hasEvent(artifactId: number, executionId: number): boolean {
    return (
      this.conn
        .stmt('SELECT 1 FROM Event WHERE artifact_id = ? AND execution_id = ? LIMIT 1')
        .get(i64(artifactId), i64(executionId)) !== undefined
    );
  }

  /** Links a context and an execution; returns false if they were linked already. */
  associate(contextId: number, executionId: number): boolean {
    return this.conn.write(() => {
      this.assertExists('Context', contextId);
      this.assertExists('Execution', executionId);
      return this.link('Association', 'context_id', 'execution_id', contextId, executionId);
    });
  }

  /** Links a context and an artifact; returns false if they were linked already. */
  attribute(contextId: number, artifactId: number): boolean {
    return this.conn.write(() => {
      this.assertExists('Context', contextId);
      this.assertExists('Artifact', artifactId);
      return this.link('Attribution', 'context_id', 'artifact_id', contextId, artifactId);
    });
  }

  /** Makes `parentId` a parent of `childId`; returns false if it was already. */
  addParentContext(childId: number, parentId: number): boolean {
    if (childId === parentId) throw invalidArgumentError('A context cannot be its own parent.');
    return this.conn.write(() => {
      this.assertExists('Context', childId);
      this.assertExists('Context', parentId);
      return this.link('ParentContext', 'context_id', 'parent_context_id', childId, parentId);
    });
  }

  /**
   * Inserts the pair unless present. Looked up first rather than INSERT OR IGNORE, because
   * an ignored insert still advances the AUTOINCREMENT sequence and MLMD leaves no such gaps.
   */
  private link(table: string, colA: string, colB: string, a: number, b: number): boolean {
    const found = this.conn
      .stmt(`SELECT 1 FROM ${table} WHERE ${colA} = ? AND ${colB} = ?`)
      .get(i64(a), i64(b));
    if (found) return false;
    this.conn.stmt(`INSERT INTO ${table} (${colA}, ${colB}) VALUES (?, ?)`).run(i64(a), i64(b));
    return true;
  }

  /** (context id, execution id) pairs of these contexts, in association id order. */
  associationsOf(contextIds: Iterable<number>): { contextId: number; executionId: number }[] {
    return this.pairs('Association', 'execution_id', contextIds).map(([c, e]) => ({
      contextId: c,
      executionId: e,
    }));
  }

  /** (context id, artifact id) pairs of these contexts, in attribution id order. */
  attributionsOf(contextIds: Iterable<number>): { contextId: number; artifactId: number }[] {
    return this.pairs('Attribution', 'artifact_id', contextIds).map(([c, a]) => ({
      contextId: c,
      artifactId: a,
    }));
  }

  private pairs(table: string, column: string, contextIds: Iterable<number>): [number, number][] {
    return this.conn.read(() =>
      (
        this.conn
          .stmt(
            `SELECT context_id, ${column} AS other FROM ${table} WHERE context_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
          )
          .all(idList(contextIds)) as { context_id: number; other: number }[]
      ).map((r) => [r.context_id, r.other]),
    );
  }

  private events(column: 'execution_id' | 'artifact_id', ids: Iterable<number>): MlmdEvent[] {
    return this.conn.read(() => {
      const rows = this.conn
        .stmt(
          `SELECT ${EVENT_COLUMNS} FROM Event WHERE ${column} IN (SELECT value FROM json_each(?)) ORDER BY id`,
        )
        .all(idList(ids)) as EventRow[];
      return this.withPaths(rows);
    });
  }

  private withPaths(rows: EventRow[]): MlmdEvent[] {
    if (rows.length === 0) return [];
    const steps = this.conn
      .stmt(
        // Steps are read back in insertion (rowid) order, as MLMD reads them.
        'SELECT event_id, is_index_step, step_index, step_key FROM EventPath WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, rowid',
      )
      .all(idList(rows.map((r) => r.id))) as StepRow[];
    const byEvent = new Map<number, EventStep[]>();
    for (const s of steps) {
      let list = byEvent.get(s.event_id);
      if (!list) byEvent.set(s.event_id, (list = []));
      list.push(
        Number(s.is_index_step) === 1 ? { index: Number(s.step_index) } : { key: s.step_key ?? '' },
      );
    }
    return rows.map((r) => eventFromRow(r, byEvent.get(r.id) ?? []));
  }

  private assertExists(table: 'Artifact' | 'Execution' | 'Context', id: number): void {
    if (!this.conn.stmt(`SELECT 1 FROM ${table} WHERE id = ?`).get(i64(id))) {
      throw notFoundError(`${table} ${id}`, { [`${table.toLowerCase()}Id`]: id });
    }
  }
}

/** The record of an event inserted just now, as a read of it returns it (both stores). */
export function createdEvent(
  id: number,
  input: EventInput,
  type: EventType,
  ms: number | bigint,
  path: EventStep[],
): MlmdEvent {
  return {
    id,
    artifactId: input.artifactId,
    executionId: input.executionId,
    type,
    millisecondsSinceEpoch: Number(ms),
    path,
  };
}

/** The record of an event row as read back, its steps already gathered (both stores). */
export function eventFromRow(
  r: {
    id: number;
    artifact_id: number;
    execution_id: number;
    type: number;
    milliseconds_since_epoch: number | string | null;
  },
  path: EventStep[],
): MlmdEvent {
  return {
    id: r.id,
    artifactId: r.artifact_id,
    executionId: r.execution_id,
    type: Number(r.type) as EventType,
    millisecondsSinceEpoch:
      r.milliseconds_since_epoch === null ? null : Number(r.milliseconds_since_epoch),
    path,
  };
}

/** The event's type and path, validated (also its time, if given). */
export function checkEventInput(input: EventInput): { type: EventType; path: EventStep[] } {
  const type = checkEventType(input.type);
  const path = (input.path ?? []).map(checkStep);
  if (
    input.millisecondsSinceEpoch !== undefined &&
    !Number.isSafeInteger(input.millisecondsSinceEpoch)
  ) {
    throw invalidArgumentError('Event time must be integer milliseconds since the epoch.');
  }
  return { type, path };
}

function checkEventType(t: number): EventType {
  if (!Number.isInteger(t) || t <= EventType.UNKNOWN || t > EventType.PENDING_OUTPUT) {
    throw invalidArgumentError(
      `Event type must be one of EventType's values 1-7, not ${String(t)}.`,
    );
  }
  return t as EventType;
}

function checkStep(step: EventStep): EventStep {
  if ('index' in step && Number.isSafeInteger(step.index)) return { index: step.index };
  if ('key' in step && typeof step.key === 'string' && !step.key.includes('\0'))
    return { key: step.key };
  throw invalidArgumentError(`Invalid event path step ${JSON.stringify(step)}.`);
}
