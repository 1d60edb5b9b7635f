/** logDatasets: many files in one call, written as logDataset would write them one by one. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cmf, NotFoundError } from '../../src/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Everything but ids-independent noise: artifact names, events, attributions, custom props. */
function snapshot(path: string) {
  const db = new MlmdSql(path);
  try {
    return {
      artifacts: db.all('SELECT a.id, a.name, a.uri FROM Artifact a ORDER BY id'),
      props: db.all(
        'SELECT artifact_id, name, is_custom_property, int_value, double_value, string_value FROM ArtifactProperty ORDER BY artifact_id, name',
      ),
      events: db.all(
        `SELECT e.artifact_id, e.execution_id, e.type, p.step_key FROM Event e
         LEFT JOIN EventPath p ON p.event_id = e.id ORDER BY e.id`,
      ),
      attributions: db.all('SELECT context_id, artifact_id FROM Attribution ORDER BY id'),
    };
  } finally {
    db.close();
  }
}

async function project(): Promise<string> {
  const p = await cmfProject({ gitRemote: 'https://example.com/r.git' });
  mkdirSync(join(p.dir, 'd'));
  for (let i = 0; i < 30; i++) writeFileSync(join(p.dir, 'd', `f${i}.txt`), `file ${i % 25}\n`);
  return p.dir;
}

const items = Array.from({ length: 30 }, (_, i) => ({
  path: `d/f${i}.txt`,
  customProperties: { i },
}));

describe('logDatasets', () => {
  it('writes what one logDataset call per file writes, and finalize commits every .dvc file', async () => {
    const one = await project();
    const many = await project();
    const mlmd = (dir: string) => join(dir, 'mlmd');
    const run = async (dir: string, batch: boolean) => {
      const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
      await cmf.createContext('s');
      await cmf.createExecution('e');
      if (batch) {
        const results = await cmf.logDatasets(items, 'output');
        // Files 25..29 repeat the content of 0..4: linked, not created.
        expect(results.map((r) => r.created)).toEqual(items.map((_, i) => i < 25));
      } else {
        for (const it of items) await cmf.logDataset(it.path, 'output', it.customProperties);
      }
      await cmf.finalize();
      await cmf.close();
    };
    await run(one, false);
    await run(many, true);
    const a = snapshot(mlmd(one));
    const b = snapshot(mlmd(many));
    // The env file and uuids differ between runs only in names that hold them: compare shapes.
    expect(b.events).toEqual(a.events);
    expect(b.attributions).toEqual(a.attributions);
    expect(b.artifacts.map((x: Record<string, unknown>) => x.uri)).toEqual(
      a.artifacts.map((x: Record<string, unknown>) => x.uri),
    );
    // url names each project's own remote directory: compare what follows it.
    const norm = (rows: Record<string, unknown>[]) =>
      rows.map((r) =>
        r.name === 'url'
          ? { ...r, string_value: String(r.string_value).replace(/^P:.*\/files\//, 'P:/files/') }
          : r,
      );
    expect(norm(b.props)).toEqual(norm(a.props));
    expect(norm(b.props).filter((r) => r.name === 'url')).toHaveLength(26);
    const committed = execFileSync('git', ['show', '--name-only', '--format=', 'HEAD'], {
      cwd: many,
      encoding: 'utf8',
    });
    for (let i = 0; i < 30; i++) expect(committed).toContain(`d/f${i}.txt.dvc`);
    expect(
      readFileSync(join(many, 'd', '.gitignore'), 'utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(30);
  });

  it('checks every path before writing anything', async () => {
    const dir = await project();
    const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    await cmf.createExecution('e');
    const before = digest(join(dir, 'mlmd'));
    await expect(
      cmf.logDatasets([...items, { path: 'd/missing.txt' }], 'input'),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(digest(join(dir, 'mlmd'))).toBe(before);
    await cmf.close();
  });
});
