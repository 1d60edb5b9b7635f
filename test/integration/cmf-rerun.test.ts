/**
 * Re-running the pipeline: unchanged content is linked (no duplicate artifacts, link events
 * carry the logged name), changed content makes new versions, and the same content logged
 * by a second pipeline extends the artifact's url list.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cmf, doubleValue } from '../../src/index.js';
import { runGetStarted } from '../../examples/example-get-started/pipeline.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';

let sql: MlmdSql | undefined;
afterEach(() => sql?.close());

const countByType = (db: MlmdSql) =>
  Object.fromEntries(
    db
      .all<{ name: string; n: number }>(
        'SELECT t.name, count(a.id) AS n FROM Artifact a JOIN Type t ON t.id = a.type_id GROUP BY t.name',
      )
      .map((r) => [r.name, r.n]),
  );

describe('re-running a pipeline', () => {
  it('links unchanged content and versions changed content', async () => {
    const p = await cmfProject();
    const lib = { Cmf, doubleValue };
    await runGetStarted(lib, { dir: p.dir });
    await runGetStarted(lib, { dir: p.dir });
    let db = (sql = new MlmdSql(join(p.dir, 'mlmd')));
    // Same data: no new file-backed artifacts; metrics are new each time (fresh uuids).
    expect(countByType(db)).toEqual({
      Environment: 1,
      Dataset: 5,
      Label: 1,
      Model: 1,
      Dataslice: 1,
      Step_Metrics: 2,
      Metrics: 2,
    });
    expect(db.all('SELECT count(*) AS n FROM Execution')).toEqual([{ n: 8 }]);
    expect(db.all('SELECT count(*) AS n FROM Context')).toEqual([{ n: 5 }]);
    // The second parse run links its input and its outputs, each once, with the logged name.
    const parse2 = db.all<{ name: string; type: number; key: string | null }>(
      `SELECT a.name, e.type, p.step_key AS key FROM Event e JOIN Artifact a ON a.id = e.artifact_id
       LEFT JOIN EventPath p ON p.event_id = e.id WHERE e.execution_id = 5 ORDER BY e.id`,
    );
    expect(parse2.map((r) => [r.type, r.key === r.name])).toEqual([
      [3, true], // environment
      [3, true], // data.xml.gz
      [3, true], // label
      [4, true], // train.tsv (known content: linked as an output)
      [4, true],
    ]);
    // No new attributions for linked content; the label properties did not grow duplicates.
    expect(db.all('SELECT count(*) AS n FROM Attribution')).toEqual([{ n: 13 }]);
    expect(db.props('Artifact', 2).custom).toMatchObject({
      labels: ['string', 'artifacts/labels.csv'],
    });
    // The model logged again by train #2 is linked, keeping its first name.
    const model = db.all<{ name: string }>(
      "SELECT a.name FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = 'Model'",
    );
    expect(model[0]!.name).toMatch(/:3$/);
    // A re-committed identical dataslice becomes an input of the new execution.
    expect(
      db.all(
        "SELECT e.type FROM Event e JOIN Artifact a ON a.id = e.artifact_id JOIN Type t ON t.id = a.type_id WHERE t.name = 'Dataslice' ORDER BY e.id",
      ),
    ).toEqual([{ type: 4 }, { type: 3 }]);
    db.close();

    // Changed data: new versions of everything derived from it.
    await runGetStarted(lib, { dir: p.dir, variant: 1 });
    db = sql = new MlmdSql(join(p.dir, 'mlmd'));
    const counts = countByType(db);
    expect(counts.Dataset).toBe(10);
    expect(counts.Model).toBe(2);
    expect(counts.Label).toBe(1); // the label file did not change
    const versions = db.all<{ name: string }>(
      "SELECT name FROM Artifact WHERE name LIKE 'artifacts/data.xml.gz:%' ORDER BY id",
    );
    expect(versions).toHaveLength(2);
    expect(versions[0]!.name).not.toBe(versions[1]!.name);
  });

  it('extends url with a second pipeline and appends uuids to a reused execution', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'a.csv'), 'x\n1\n');
    for (const pipelineName of ['Test-env', 'env', 'Test-env']) {
      const cmf = await Cmf.open({ cwd: p.dir, pipelineName });
      await cmf.createContext('s');
      await cmf.createExecution('run', {}, { createNewExecution: false });
      await cmf.logDataset('a.csv', 'input', {
        n: 1,
        ratio: 0.5,
        big: 3n,
        forced: doubleValue(3000),
        flag: true,
      });
      await cmf.close();
    }
    const db = (sql = new MlmdSql(join(p.dir, 'mlmd')));
    const art = db.all<{ id: number }>("SELECT id FROM Artifact WHERE name LIKE 'a.csv:%'");
    expect(art).toHaveLength(1);
    const props = db.props('Artifact', art[0]!.id);
    const h = props.declared.Commit as [string, string];
    const obj = `${p.remote}/files/md5/${h[1].slice(0, 2)}/${h[1].slice(2)}`;
    // 'env:…' is not taken as already present because it is a substring of 'Test-env:…'
    // (cmflib's substring test, §11.7).
    expect(props.declared.url).toEqual(['string', `Test-env:${obj},env:${obj}`]);
    expect(props.custom).toEqual({
      n: ['int', 1],
      ratio: ['double', 0.5],
      big: ['int', 3],
      forced: ['double', 3000],
      flag: ['int', 1],
    });
    // Reuse: named execution of type '<pipeline>/<stage>', one per pipeline; uuids appended.
    const execs = db.all<{ id: number; name: string; type: string }>(
      'SELECT e.id, e.name, t.name AS type FROM Execution e JOIN Type t ON t.id = e.type_id ORDER BY e.id',
    );
    expect(execs).toEqual([
      { id: 1, name: 'run', type: 'Test-env/s' },
      { id: 2, name: 'run', type: 'env/s' },
    ]);
    const uuids = (db.props('Execution', 1).declared.Execution_uuid as [string, string])[1].split(
      ',',
    );
    expect(uuids).toHaveLength(2);
    expect(new Set(uuids).size).toBe(2);
  });
});
