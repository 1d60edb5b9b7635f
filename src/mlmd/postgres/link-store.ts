/**
 * Events, associations, attributions and parent contexts in PostgreSQL, with the semantics
 * of the SQLite LinkStore (../link-store.ts). Every insert is idempotent.
 */
import { invalidArgumentError, notFoundError } from '../errors.js';
import { checkEventInput, createdEvent, eventFromRow } from '../link-store.js';
import type { EventInput, EventStep, MlmdEvent, Put } from '../records.js';
import type { Querier, Session } from './session.js';

interface EventRow {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
  milliseconds_since_epoch: string | null;
  /** [is_index_step, step_index, step_key] in insertion order, or null. */
  path: [boolean, number | null, string | null][] | null;
}

/**
 * Events with their paths in one statement; steps in insertion order: by EventPath.seq, or
 * in a store ml-metadata created (which has no such column) by physical row order, as
 * ml-metadata itself reads them.
 */
function selectEvents(stepOrder: 'seq' | 'ctid'): string {
  return `SELECT e.id, e.artifact_id, e.execution_id, e.type, e.milliseconds_since_epoch,
  (SELECT json_agg(json_build_array(p.is_index_step, p.step_index, p.step_key) ORDER BY p.${stepOrder}) FROM EventPath p WHERE p.event_id = e.id) AS path
  FROM Event e`;
}

export class PgLinkStore {
  private readonly selectEvents: string;
  private readonly session: Session;

  constructor(session: Session, stepOrder: 'seq' | 'ctid') {
    this.session = session;
    this.selectEvents = selectEvents(stepOrder);
  }

  /**
   * Get-or-create the event (artifact, execution, type), which is UNIQUE in the schema. A new
   * event gets its path steps in step order; an existing one is returned unchanged.
   */
  async putEvent(input: EventInput): Promise<Put<MlmdEvent>> {
    const { type, path } = checkEventInput(input);
    return this.session.write(async (q) => {
      const ms = input.millisecondsSinceEpoch ?? q.now();
      // One statement: checks both ends, looks the event up, and inserts it with its steps
      // only if both ends exist and it is new (ORDER BY the array position, so `seq` follows
      // the step order).
      const [r] = await q.query<
        Partial<EventRow> & { artifact_ok: boolean; execution_ok: boolean; new_id: number | null }
      >(
        `WITH chk AS (SELECT EXISTS (SELECT 1 FROM Artifact WHERE id = $1::bigint) AS artifact_ok, EXISTS (SELECT 1 FROM Execution WHERE id = $2::bigint) AS execution_ok),
         old AS (${this.selectEvents} WHERE e.artifact_id = $1::bigint AND e.execution_id = $2::bigint AND e.type = $3::int),
         ins AS (INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch)
           SELECT $1::bigint, $2::bigint, $3::int, $4::bigint FROM chk WHERE chk.artifact_ok AND chk.execution_ok AND NOT EXISTS (SELECT 1 FROM old) RETURNING id),
         steps AS (INSERT INTO EventPath (event_id, is_index_step, step_index, step_key)
           SELECT ins.id, u.is_index, u.idx, u.k FROM ins, unnest($5::boolean[], $6::bigint[], $7::text[]) WITH ORDINALITY AS u(is_index, idx, k, ord) ORDER BY u.ord)
         SELECT chk.artifact_ok, chk.execution_ok, (SELECT id FROM ins) AS new_id, old.* FROM chk LEFT JOIN old ON TRUE`,
        [
          input.artifactId,
          input.executionId,
          type,
          ms,
          path.map((s) => 'index' in s),
          path.map((s) => ('index' in s ? s.index : null)),
          path.map((s) => ('key' in s ? s.key : null)),
        ],
      );
      if (!r!.artifact_ok) throw missing('Artifact', input.artifactId);
      if (!r!.execution_ok) throw missing('Execution', input.executionId);
      if (r!.new_id === null) return { value: toEvent(r as EventRow), created: false };
      return { value: createdEvent(r!.new_id, input, type, ms, path), created: true };
    });
  }

  /** Events of these executions with their paths, in event id order. */
  eventsOfExecutions(executionIds: Iterable<number>): Promise<MlmdEvent[]> {
    return this.events('execution_id', executionIds);
  }

  /** Events of these artifacts with their paths, in event id order. */
  eventsOfArtifacts(artifactIds: Iterable<number>): Promise<MlmdEvent[]> {
    return this.events('artifact_id', artifactIds);
  }

  /** Links a context and an execution; returns false if they were linked already. */
  associate(contextId: number, executionId: number): Promise<boolean> {
    return this.session.write((q) =>
      link(
        q,
        'Association',
        ['context_id', 'Context', contextId],
        ['execution_id', 'Execution', executionId],
      ),
    );
  }

  /** Links a context and an artifact; returns false if they were linked already. */
  attribute(contextId: number, artifactId: number): Promise<boolean> {
    return this.session.write((q) =>
      link(
        q,
        'Attribution',
        ['context_id', 'Context', contextId],
        ['artifact_id', 'Artifact', artifactId],
      ),
    );
  }

  /** Makes `parentId` a parent of `childId`; returns false if it was already. */
  async addParentContext(childId: number, parentId: number): Promise<boolean> {
    if (childId === parentId) throw invalidArgumentError('A context cannot be its own parent.');
    return this.session.write((q) =>
      link(
        q,
        'ParentContext',
        ['context_id', 'Context', childId],
        ['parent_context_id', 'Context', parentId],
      ),
    );
  }

  /** (context id, execution id) pairs of these contexts, in association id order. */
  async associationsOf(
    contextIds: Iterable<number>,
  ): Promise<{ contextId: number; executionId: number }[]> {
    return (await this.pairs('Association', 'execution_id', contextIds)).map(([c, e]) => ({
      contextId: c,
      executionId: e,
    }));
  }

  /** (context id, artifact id) pairs of these contexts, in attribution id order. */
  async attributionsOf(
    contextIds: Iterable<number>,
  ): Promise<{ contextId: number; artifactId: number }[]> {
    return (await this.pairs('Attribution', 'artifact_id', contextIds)).map(([c, a]) => ({
      contextId: c,
      artifactId: a,
    }));
  }

  private pairs(
    table: string,
    column: string,
    contextIds: Iterable<number>,
  ): Promise<[number, number][]> {
    const ids = Array.from(contextIds, (id) => Math.trunc(id));
    return this.session.read(async (q) =>
      (
        await q.query<{ context_id: number; other: number }>(
          `SELECT context_id, ${column} AS other FROM ${table} WHERE context_id = ANY($1::bigint[]) ORDER BY id`,
          [ids],
        )
      ).map((r) => [r.context_id, r.other]),
    );
  }

  private events(
    column: 'execution_id' | 'artifact_id',
    ids: Iterable<number>,
  ): Promise<MlmdEvent[]> {
    const list = Array.from(ids, (id) => Math.trunc(id));
    return this.session.read(async (q) =>
      (
        await q.query<EventRow>(
          `${this.selectEvents} WHERE e.${column} = ANY($1::bigint[]) ORDER BY e.id`,
          [list],
        )
      ).map(toEvent),
    );
  }
}

type End = [column: string, table: 'Artifact' | 'Execution' | 'Context', id: number];

/**
 * Inserts the pair if both ends exist and it is not there yet, in one statement; when
 * nothing was inserted, a second query says why (a missing end, or already linked). Not ON
 * CONFLICT DO NOTHING, which would still take a value from the id sequence (the SQLite store
 * leaves no such gaps either).
 */
async function link(
  q: Querier,
  table: string,
  [colA, tableA, a]: End,
  [colB, tableB, b]: End,
): Promise<boolean> {
  const inserted = await q.query(
    `INSERT INTO ${table} (${colA}, ${colB}) SELECT $1::bigint, $2::bigint WHERE EXISTS (SELECT 1 FROM ${tableA} WHERE id = $1::bigint) AND EXISTS (SELECT 1 FROM ${tableB} WHERE id = $2::bigint) AND NOT EXISTS (SELECT 1 FROM ${table} WHERE ${colA} = $1::bigint AND ${colB} = $2::bigint) RETURNING 1`,
    [a, b],
  );
  if (inserted.length > 0) return true;
  const [ends] = await q.query<{ a: boolean; b: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${tableA} WHERE id = $1::bigint) AS a, EXISTS (SELECT 1 FROM ${tableB} WHERE id = $2::bigint) AS b`,
    [a, b],
  );
  if (!ends!.a) throw missing(tableA, a);
  if (!ends!.b) throw missing(tableB, b);
  return false;
}

function missing(table: 'Artifact' | 'Execution' | 'Context', id: number): Error {
  return notFoundError(`${table} ${id}`, { [`${table.toLowerCase()}Id`]: id });
}

function toEvent(r: EventRow): MlmdEvent {
  return eventFromRow(
    r,
    (r.path ?? []).map(([isIndex, index, key]): EventStep =>
      isIndex ? { index: Number(index) } : { key: key ?? '' },
    ),
  );
}
