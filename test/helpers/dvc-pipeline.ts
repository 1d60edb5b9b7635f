/**
 * Realistic DVC pipeline projects built by code, as `dvc repro` leaves them: a git
 * repository with a DVC default remote (a local directory), a raw dataset tracked by a
 * `.dvc` file, code and params files git tracks, a dvc.yaml with plain, foreach and matrix
 * stages (file and directory outs, a `cache: false` metrics out), the stage outs in the DVC
 * cache (hashed and cached with our src/hashing, no `.dvc` files for them), and a dvc.lock
 * written in the chosen DVC format.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Document } from 'yaml';
import { add, hashDirectory, hashItems, LocalCache } from '../../src/hashing/index.js';

export type LockFormat = 'dvc3' | 'dvc2' | 'dvc1';

export interface Entry {
  path: string;
  md5: string;
  size: number;
  nfiles?: number;
}

export interface DvcPipelineProject {
  dir: string;
  remote: string;
  cache: LocalCache;
  /** Lock entries by stage, as written. */
  stages: Record<
    string,
    {
      cmd: string | string[];
      deps: Entry[];
      outs: Entry[];
      params?: Record<string, Record<string, unknown>>;
    }
  >;
  /** Every object id a push must send: cached outs (dirs: manifest + files) and the .dvc-tracked raw data. */
  pushedObjects: string[];
}

function write(dir: string, rel: string, text: string | Buffer): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

async function entryOf(dir: string, rel: string): Promise<Entry> {
  const abs = join(dir, rel);
  try {
    const d = await hashDirectory(abs, { repoRoot: dir });
    return { path: rel, md5: d.md5, size: d.size, nfiles: d.nfiles };
  } catch {
    const [h] = await hashItems([{ path: abs }], { jobs: 1 });
    return { path: rel, md5: h!.md5, size: h!.size };
  }
}

export const DVC_YAML = `stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - data/data.xml
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd:
    - python src/featurize.py data/prepared data/features
    - echo done
    deps:
    - data/prepared
    - src/featurize.py
    params:
    - featurize
    outs:
    - data/features
  train:
    foreach:
    - rf
    - lr
    do:
      cmd: python src/train.py \${item}
      deps:
      - data/features
      - src/train.py
      outs:
      - models/\${item}.pkl
  evaluate:
    matrix:
      model: [rf, lr]
      split: [test]
    wdir: eval
    cmd: python ../src/evaluate.py \${item.model} \${item.split}
    deps:
    - ../models/\${item.model}.pkl
    - ../data/features/test.tsv
    metrics:
    - \${item.model}-\${item.split}.json:
        cache: false
`;

/**
 * Builds the project in `root/project` (remote `root/remote`). `lockFormat` picks the dvc.lock
 * layout: DVC 3 (`schema: '2.0'`, `hash: md5`), DVC 2 (no `hash`), DVC 1 (no schema, no
 * `hash`, no sizes).
 */
export async function dvcPipelineProject(
  root: string,
  lockFormat: LockFormat = 'dvc3',
): Promise<DvcPipelineProject> {
  const dir = join(root, 'project');
  const remote = join(root, 'remote');
  mkdirSync(join(dir, '.dvc'), { recursive: true });
  mkdirSync(remote, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  git('remote', 'add', 'origin', 'https://github.com/example/dvc-project.git');
  write(
    dir,
    '.dvc/config',
    `[core]\n    remote = storage\n['remote "storage"']\n    url = ${remote}\n`,
  );
  write(dir, '.dvc/.gitignore', '/config.local\n/tmp\n/cache\n');
  const cache = new LocalCache(join(dir, '.dvc', 'cache'));

  // Inputs: raw data (dvc add), code and params (git).
  write(
    dir,
    'data/data.xml',
    '<posts>\n' + '<row Id="1" Body="hello"/>\n'.repeat(50) + '</posts>\n',
  );
  const raw = await add(join(dir, 'data/data.xml'), { repoRoot: dir, cache });
  write(dir, 'src/prepare.py', 'print("prepare")\n');
  write(dir, 'src/featurize.py', 'print("featurize")\n');
  write(dir, 'src/train.py', 'print("train")\n');
  write(dir, 'src/evaluate.py', 'print("evaluate")\n');
  write(
    dir,
    'params.yaml',
    'prepare:\n  seed: 20170428\n  split: 0.2\nfeaturize:\n  max_features: 200\n  ngrams: 2\n  scale: 1.0\n  name: tfidf\n',
  );
  write(dir, 'dvc.yaml', DVC_YAML);

  // What `dvc repro` produced, cached without .dvc files.
  write(dir, 'data/prepared/train.tsv', 'a\t1\nb\t2\n');
  write(dir, 'data/prepared/test.tsv', 'c\t3\n');
  write(dir, 'data/features/train.pkl', Buffer.from([0x80, 4, 1, 2, 3]));
  write(dir, 'data/features/test.tsv', 'features test\n');
  write(dir, 'models/rf.pkl', Buffer.from([0x80, 4, 9, 9]));
  write(dir, 'models/lr.pkl', Buffer.from([0x80, 4, 7]));
  write(dir, 'eval/rf-test.json', '{"auc": 0.91}\n');
  write(dir, 'eval/lr-test.json', '{"auc": 0.87}\n');
  const pushed = new Set<string>([raw.out.md5!]);
  const cacheOut = async (rel: string): Promise<Entry> => {
    const r = await add(join(dir, rel), { repoRoot: dir, cache, gitignore: false });
    rmSync(r.dvcFilePath);
    pushed.add(r.out.md5!);
    if (r.out.md5!.endsWith('.dir')) {
      for (const e of await cache.readManifest(r.out.md5!)) pushed.add(e.md5);
    }
    return await entryOf(dir, rel);
  };

  const e = (rel: string) => entryOf(dir, rel);
  const stages: DvcPipelineProject['stages'] = {
    prepare: {
      cmd: 'python src/prepare.py data/data.xml',
      deps: [await e('data/data.xml'), await e('src/prepare.py')],
      params: { 'params.yaml': { 'prepare.seed': 20170428n, 'prepare.split': 0.2 } },
      outs: [await cacheOut('data/prepared')],
    },
    featurize: {
      cmd: ['python src/featurize.py data/prepared data/features', 'echo done'],
      deps: [await e('data/prepared'), await e('src/featurize.py')],
      params: {
        'params.yaml': { featurize: { max_features: 200n, name: 'tfidf', ngrams: 2n, scale: 1.0 } },
      },
      outs: [await cacheOut('data/features')],
    },
  };
  for (const m of ['rf', 'lr']) {
    stages[`train@${m}`] = {
      cmd: `python src/train.py ${m}`,
      deps: [await e('data/features'), await e('src/train.py')],
      outs: [await cacheOut(`models/${m}.pkl`)],
    };
  }
  for (const m of ['rf', 'lr']) {
    const d = (rel: string) => entryOf(dir, rel).then((x) => ({ ...x, path: `../${rel}` }));
    const metrics = await entryOf(dir, `eval/${m}-test.json`);
    stages[`evaluate@${m}-test`] = {
      cmd: `python ../src/evaluate.py ${m} test`,
      deps: [await d('data/features/test.tsv'), await d(`models/${m}.pkl`)],
      outs: [{ ...metrics, path: `${m}-test.json` }],
    };
  }
  writeFileSync(join(dir, 'dvc.lock'), lockText(stages, lockFormat));
  git('add', '.');
  git('commit', '-q', '-m', 'pipeline');
  return { dir, remote, cache, stages, pushedObjects: [...pushed].sort() };
}

/** dvc.lock text in DVC's layout for the given format. */
export function lockText(stages: DvcPipelineProject['stages'], format: LockFormat): string {
  const entry = (x: Entry) => {
    const o: Record<string, unknown> = { path: x.path };
    if (format === 'dvc3') o.hash = 'md5';
    o.md5 = x.md5;
    if (format !== 'dvc1') {
      o.size = x.size;
      if (x.nfiles !== undefined) o.nfiles = x.nfiles;
    }
    return o;
  };
  const body: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(stages)) {
    const st: Record<string, unknown> = { cmd: s.cmd };
    if (s.deps.length) st.deps = s.deps.map(entry);
    if (s.params) st.params = s.params;
    if (s.outs.length) st.outs = s.outs.map(entry);
    body[name] = st;
  }
  const doc = format === 'dvc1' ? body : { schema: '2.0', stages: body };
  // YAML writes the JS number 1.0 as `1`; DVC keeps the float as written in params.yaml.
  return new Document(doc)
    .toString({ indentSeq: false, singleQuote: true })
    .replace(/^(\s+scale: )1$/m, '$11.0');
}

/**
 * A file's dvc.lock entry (named `as`, the path relative to its stage's wdir) after putting
 * it into the DVC cache, as `dvc repro` leaves a cached out (no `.dvc` file).
 */
export async function cachedEntry(
  dir: string,
  cache: LocalCache,
  rel: string,
  as = rel,
): Promise<Entry> {
  const r = await add(join(dir, rel), { repoRoot: dir, cache, gitignore: false });
  rmSync(r.dvcFilePath);
  return { ...(await entryOf(dir, rel)), path: as };
}

/** A file's dvc.lock entry without caching it (code, params, `cache: false` outs). */
export async function hashedEntry(dir: string, rel: string, as = rel): Promise<Entry> {
  return { ...(await entryOf(dir, rel)), path: as };
}

/** Writes `files` (path → content) under `dir`, making directories. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) write(dir, rel, text);
}
