import Database from 'better-sqlite3';

/** Plain-SQL views of an MLMD file, for checking what was written without our store code. */
export class MlmdSql {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true });
  }

  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  /** Properties of one node as { name: [kind, value] }, split into declared and custom. */
  props(table: 'Artifact' | 'Execution' | 'Context', id: number) {
    const col = `${table.toLowerCase()}_id`;
    const rows = this.all<{
      name: string;
      is_custom_property: number;
      int_value: number | null;
      double_value: number | null;
      string_value: string | null;
    }>(`SELECT * FROM ${table}Property WHERE ${col} = ? ORDER BY name`, id);
    const out = { declared: {} as Record<string, unknown>, custom: {} as Record<string, unknown> };
    for (const r of rows) {
      const v =
        r.int_value !== null
          ? ['int', r.int_value]
          : r.double_value !== null
            ? ['double', r.double_value]
            : ['string', r.string_value];
      (r.is_custom_property ? out.custom : out.declared)[r.name] = v;
    }
    return out;
  }

  /** Row counts of every node and link table. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of [
      'Type',
      'Context',
      'Execution',
      'Artifact',
      'Event',
      'EventPath',
      'Association',
      'Attribution',
      'ParentContext',
      'ArtifactProperty',
      'ExecutionProperty',
      'ContextProperty',
    ]) {
      out[t] = (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
