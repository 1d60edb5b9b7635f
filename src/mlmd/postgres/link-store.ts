/**
 * Events, associations, attributions and parent contexts in PostgreSQL, with the semantics
 * of the SQLite LinkStore (../link-store.ts). Every insert is idempotent.
 */
import { batchItemError, invalidArgumentError, notFoundError } from '../errors.js';
import { checkEventInput, createdEvent, eventFromRow } from '../link-store.js';
import type { EventInput, EventStep, MlmdEvent, Put } from '../records.js';
import { newIds } from './node-store.js';
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

  /**
   * putEvent for each input in order (so new events get ascending ids in that order); says
   * for each whether it created the event (false: it existed, or an earlier input created
   * it). One statement for all the events and their paths. All or nothing: a refused input
   * throws its error with `data.index`, writing none.
   */
  async addEvents(inputs: readonly EventInput[]): Promise<boolean[]> {
    if (inputs.length === 0) return [];
    const checked = inputs.map((input, i) => {
      try {
        return checkEventInput(input);
      } catch (err) {
        throw batchItemError(err, i);
      }
    });
    return this.session.write(async (q) => {
      const now = q.now();
      // The first input of each (artifact, execution, type) goes to the database.
      const firstOf = new Map<string, number>();
      const unique: number[] = [];
      inputs.forEach((input, i) => {
        const key = `${input.artifactId}:${input.executionId}:${checked[i]!.type}`;
        if (firstOf.has(key)) return;
        firstOf.set(key, i);
        unique.push(i);
      });
      const steps = unique.flatMap((i, ord) =>
        checked[i]!.path.map((step) => ({ ord: ord + 1, step })),
      );
      const [r] = await q.query<{ bad: string | null; created: string[] }>(
        `WITH u AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[]) WITH ORDINALITY AS u(a, e, t, ms, ord)),
         bad AS (SELECT min(ord) AS ord FROM u WHERE NOT EXISTS (SELECT 1 FROM Artifact WHERE id = u.a) OR NOT EXISTS (SELECT 1 FROM Execution WHERE id = u.e)),
         todo AS (SELECT u.*, row_number() OVER (ORDER BY u.ord) AS rn FROM u WHERE (SELECT ord FROM bad) IS NULL AND NOT EXISTS (SELECT 1 FROM Event ev WHERE ev.artifact_id = u.a AND ev.execution_id = u.e AND ev.type = u.t)),
         ${newIds('Event', 'todo')},
         ins AS (INSERT INTO Event (id, artifact_id, execution_id, type, milliseconds_since_epoch) SELECT m.id, todo.a, todo.e, todo.t, todo.ms FROM todo JOIN m USING (rn) ORDER BY m.id),
         steps AS (INSERT INTO EventPath (event_id, is_index_step, step_index, step_key)
           SELECT m.id, s.is_index, s.idx, s.k FROM unnest($5::bigint[], $6::boolean[], $7::bigint[], $8::text[]) WITH ORDINALITY AS s(ord, is_index, idx, k, sord) JOIN todo USING (ord) JOIN m USING (rn) ORDER BY m.id, s.sord)
         SELECT (SELECT ord FROM bad) AS bad, array(SELECT ord FROM todo ORDER BY ord) AS created`,
        [
          unique.map((i) => inputs[i]!.artifactId),
          unique.map((i) => inputs[i]!.executionId),
          unique.map((i) => checked[i]!.type),
          unique.map((i) => inputs[i]!.millisecondsSinceEpoch ?? now),
          steps.map((s) => s.ord),
          steps.map((s) => 'index' in s.step),
          steps.map((s) => ('index' in s.step ? s.step.index : null)),
          steps.map((s) => ('key' in s.step ? s.step.key : null)),
        ],
      );
      if (r!.bad !== null) {
        const i = unique[Number(r!.bad) - 1]!;
        const input = inputs[i]!;
        const [ends] = await q.query<{ a: boolean }>(
          'SELECT EXISTS (SELECT 1 FROM Artifact WHERE id = $1::bigint) AS a',
          [input.artifactId],
        );
        throw batchItemError(
          ends!.a ? missing('Execution', input.executionId) : missing('Artifact', input.artifactId),
          i,
        );
      }
      const created = new Set(r!.created.map((ord) => unique[Number(ord) - 1]!));
      return inputs.map((_, i) => created.has(i));
    });
  }

  /** associate for each (context id, execution id) pair in order, all or nothing. */
  associateMany(pairs: readonly (readonly [number, number])[]): Promise<boolean[]> {
    return this.linkMany(
      'Association',
      ['context_id', 'Context'],
      ['execution_id', 'Execution'],
      pairs,
    );
  }

  /** attribute for each (context id, artifact id) pair in order, all or nothing. */
  attributeMany(pairs: readonly (readonly [number, number])[]): Promise<boolean[]> {
    return this.linkMany(
      'Attribution',
      ['context_id', 'Context'],
      ['artifact_id', 'Artifact'],
      pairs,
    );
  }

  /**
   * Inserts the pairs not linked yet, in order (ids ascending in that order), in one
   * statement; nothing at all when an end of some pair is missing, which a second query
   * then names.
   */
  private async linkMany(
    table: 'Association' | 'Attribution',
    [colA, tableA]: [string, 'Context'],
    [colB, tableB]: [string, 'Artifact' | 'Execution'],
    pairs: readonly (readonly [number, number])[],
  ): Promise<boolean[]> {
    if (pairs.length === 0) return [];
    return this.session.write(async (q) => {
      const firstOf = new Map<string, number>();
      const unique: number[] = [];
      pairs.forEach(([a, b], i) => {
        const key = `${a}:${b}`;
        if (firstOf.has(key)) return;
        firstOf.set(key, i);
        unique.push(i);
      });
      const [r] = await q.query<{ bad: string | null; created: string[] }>(
        `WITH u AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(a, b, ord)),
         bad AS (SELECT min(ord) AS ord FROM u WHERE NOT EXISTS (SELECT 1 FROM ${tableA} WHERE id = u.a) OR NOT EXISTS (SELECT 1 FROM ${tableB} WHERE id = u.b)),
         todo AS (SELECT u.*, row_number() OVER (ORDER BY u.ord) AS rn FROM u WHERE (SELECT ord FROM bad) IS NULL AND NOT EXISTS (SELECT 1 FROM ${table} x WHERE x.${colA} = u.a AND x.${colB} = u.b)),
         ${newIds(table, 'todo')},
         ins AS (INSERT INTO ${table} (id, ${colA}, ${colB}) SELECT m.id, todo.a, todo.b FROM todo JOIN m USING (rn) ORDER BY m.id)
         SELECT (SELECT ord FROM bad) AS bad, array(SELECT ord FROM todo ORDER BY ord) AS created`,
        [unique.map((i) => pairs[i]![0]), unique.map((i) => pairs[i]![1])],
      );
      if (r!.bad !== null) {
        const i = unique[Number(r!.bad) - 1]!;
        const [a, b] = pairs[i]!;
        const [ends] = await q.query<{ a: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM ${tableA} WHERE id = $1::bigint) AS a`,
          [a],
        );
        throw batchItemError(ends!.a ? missing(tableB, b) : missing(tableA, a), i);
      }
      const created = new Set(r!.created.map((ord) => unique[Number(ord) - 1]!));
      return pairs.map((_, i) => created.has(i));
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
