/**
 * cmf's example-get-started pipeline in TypeScript: four stages (parse, featurize, train,
 * evaluate) over small generated data, logging datasets, a label, step metrics, a model,
 * execution metrics and a dataslice — the same calls, in the same order, as the Python
 * scripts in HewlettPackard/cmf examples/example-get-started/src.
 *
 * The Cmf class is passed in, so the same code runs against the built package (run.ts) and
 * against the TypeScript sources (the integration test).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cmf as CmfClass, doubleValue as DoubleValue } from '../../src/index.js';

export interface Lib {
  Cmf: typeof CmfClass;
  doubleValue: typeof DoubleValue;
}

export interface RunOptions {
  /** The project directory (a git repo with a DVC default remote). */
  dir: string;
  /** MLMD file name inside `dir` (default 'mlmd'). */
  mlmd?: string;
  pipelineName?: string;
  /** Changes the raw data, to show new versions on a re-run. */
  variant?: number;
}

/** A tiny deterministic pseudo-random generator, so every run writes the same data. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function write(dir: string, rel: string, text: string): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return rel;
}

/** Generates artifacts/data.xml.gz (plain text here) and artifacts/labels.csv. */
export function generateData(dir: string, variant = 0): void {
  const r = rng(42 + variant);
  const posts = Array.from(
    { length: 40 },
    (_, i) =>
      `<row Id="${i}" Body="post ${i} ${r().toFixed(6)}" Tags="${r() < 0.3 ? 'r' : 'python'}"/>`,
  );
  write(dir, 'artifacts/data.xml.gz', `<posts>\n${posts.join('\n')}\n</posts>\n`);
  write(
    dir,
    'artifacts/labels.csv',
    'id,label\n' + posts.map((_, i) => `${i},${i % 3 === 0 ? 1 : 0}`).join('\n') + '\n',
  );
}

export async function runGetStarted(lib: Lib, opts: RunOptions): Promise<void> {
  const { Cmf, doubleValue } = lib;
  const { dir } = opts;
  const common = {
    filepath: opts.mlmd ?? 'mlmd',
    pipelineName: opts.pipelineName ?? 'Test-env',
    cwd: dir,
  };

  // parse.py
  {
    // Opened first: a directory that is not a cmf project is refused before data is written.
    const cmf = await Cmf.open(common);
    generateData(dir, opts.variant ?? 0);
    await cmf.createContext('Prepare', { 'user-metadata1': 'metadata_value' });
    await cmf.createExecution(
      'Prepare',
      { split: 0.2, seed: 20170428 },
      {
        cmd: ['src/parse.py', 'artifacts/data.xml.gz', 'artifacts/parsed'],
      },
    );
    await cmf.logDataset(
      'artifacts/data.xml.gz',
      'input',
      { 'user-metadata1': 'metadata_value' },
      {
        label: 'artifacts/labels.csv',
        labelProperties: { user1: 'metadata_value' },
      },
    );
    const r = rng(7 + (opts.variant ?? 0));
    const rows = Array.from({ length: 40 }, (_, i) => `${i}\t${i % 3 === 0 ? 1 : 0}\tpost ${i}`);
    const train = rows.filter(() => r() >= 0.2);
    const test = rows.filter((row) => !train.includes(row));
    write(dir, 'artifacts/parsed/train.tsv', train.join('\n') + '\n');
    write(dir, 'artifacts/parsed/test.tsv', test.join('\n') + '\n');
    await cmf.logDataset('artifacts/parsed/train.tsv', 'output');
    await cmf.logDataset('artifacts/parsed/test.tsv', 'output');
    await cmf.finalize();
    await cmf.close();
  }

  // featurize.py
  {
    const cmf = await Cmf.open(common);
    await cmf.createContext('Featurize');
    await cmf.createExecution(
      'Featurize-execution',
      { max_features: 3000, ngrams: 2 },
      {
        cmd: ['src/featurize.py', 'artifacts/parsed', 'artifacts/features'],
      },
    );
    await cmf.logDataset('artifacts/parsed/train.tsv', 'input');
    await cmf.logDataset('artifacts/parsed/test.tsv', 'input');
    write(dir, 'artifacts/features/train.pkl', `features of train ${opts.variant ?? 0}\n`);
    write(dir, 'artifacts/features/test.pkl', `features of test ${opts.variant ?? 0}\n`);
    await cmf.logDataset('artifacts/features/train.pkl', 'output');
    await cmf.logDataset('artifacts/features/test.pkl', 'output');
    await cmf.finalize();
    await cmf.close();
  }

  // train.py
  {
    const cmf = await Cmf.open(common);
    await cmf.createContext('Train');
    await cmf.createExecution(
      'Train-execution',
      { seed: 20170428, n_est: 100, min_split: doubleValue(64) },
      {
        cmd: ['src/train.py', 'artifacts/features', 'artifacts/model'],
      },
    );
    await cmf.logDataset('artifacts/features/train.pkl', 'input');
    for (let i = 0; i < 3; i++)
      cmf.logMetric('training_metrics', { train_loss: 1 / (i + 2), step: i });
    await cmf.commitMetrics('training_metrics');
    write(dir, 'artifacts/model/model.pkl', `model ${opts.variant ?? 0}\n`);
    await cmf.logModel('artifacts/model/model.pkl', 'output', {
      modelFramework: 'SKlearn',
      modelType: 'RandomForestClassifier',
      modelName: 'RandomForestClassifier:default',
    });
    await cmf.finalize();
    await cmf.close();
  }

  // test.py
  {
    const cmf = await Cmf.open(common);
    await cmf.createContext('Evaluate');
    await cmf.createExecution(
      'Evaluate-execution',
      {},
      {
        cmd: ['src/test.py', 'artifacts/model', 'artifacts/features', 'artifacts/test_results'],
      },
    );
    await cmf.logModel('artifacts/model/model.pkl', 'input');
    await cmf.logDataset('artifacts/features/test.pkl', 'input');
    await cmf.logExecutionMetrics('metrics', { avg_prec: 0.75, roc_auc: 0.5 });
    const slice = cmf.createDataslice('slice-a');
    await slice.addData('artifacts/parsed/train.tsv', { quality: 'good' });
    await slice.addData('artifacts/parsed/test.tsv');
    await slice.commit({ purpose: 'evaluation' });
    await cmf.finalize();
    await cmf.close();
  }
}
