import { existsSync } from 'node:fs';
import { readRegularFile } from '../fs/regular-file.js';
import { join, posix } from 'node:path';
import type { DvcOut } from '../hashing/dvcfile.js';
import { projectRelativePath, type PipelineArtifact } from './collect.js';
import type { ArtifactContext } from './project.js';

/** The cache/remote object of an artifact. */
export interface ArtifactObject {
  oid: string;
  /**
   * A legacy (DVC 2.x, md5-dos2unix) object: it lives in the legacy layouts of the cache
   * (`<cache>/ab/…`) and the remote (`<remote>/ab/…`), as DVC keeps the objects of outputs
   * whose `.dvc`/`dvc.lock` entry has no `hash:` key (spec/formats.md A2-A4).
   */
  legacy: boolean;
}

/**
 * The `.dvc` entry of an artifact: the `.dvc` file beside its path (relative to the MLMD
 * file's directory) or, for a path outside the project, by basename in the project root as
 * cmflib looks it up.
 */
async function dvcOut(ctx: ArtifactContext, a: PipelineArtifact): Promise<DvcOut | undefined> {
  const { projectRoot } = ctx;
  const rel = projectRelativePath(projectRoot, a.path, ctx.baseDir);
  const dvcPath = join(projectRoot, `${rel ?? posix.basename(a.path)}.dvc`);
  if (!existsSync(dvcPath)) return undefined;
  // Loaded here: the YAML parser is a large import that most pushes and pulls never need.
  const { readDvcFile } = await import('../hashing/dvcfile.js');
  const file = await readDvcFile(dvcPath);
  return file.outs.find((o) => o.md5);
}

/**
 * An artifact's object, or undefined when neither MLMD nor a `.dvc` file names one. The oid
 * is the hash MLMD records (what a pull will ask for), else the one in the `.dvc` file. The
 * layout is what the artifact's object URL says (an old cmf with DVC 2 recorded
 * `<remote>/ab/cdef…`); without a URL, the `.dvc` entry decides when it names the same
 * object (no `hash:` key: legacy); otherwise the object is a DVC 3 one. Artifacts whose URL
 * decides cost no file access.
 */
export async function artifactObject(
  ctx: ArtifactContext,
  a: PipelineArtifact,
): Promise<ArtifactObject | undefined> {
  if (a.oid && a.legacy !== undefined) return { oid: a.oid, legacy: a.legacy };
  const out = await dvcOut(ctx, a);
  const oid = a.oid ?? out?.md5;
  if (oid === undefined) return undefined;
  return { oid, legacy: out?.md5 === oid && out.hashName === 'md5-dos2unix' };
}

/**
 * Whether the `.dvc` file beside a single-file artifact marks it executable (`isexec: true`)
 * for this object, as DVC's checkout reads it: MLMD does not record exec bits. Only a file
 * that mentions isexec is parsed, so a pull of many artifacts costs a small read each.
 */
export async function marksExecutable(path: string, oid: string): Promise<boolean> {
  const text = await readRegularFile(`${path}.dvc`, 'utf8').catch(() => undefined);
  if (text === undefined || !/\bisexec\s*:\s*true\b/.test(text)) return false;
  const { parseDvcFile } = await import('../hashing/dvcfile.js');
  try {
    return parseDvcFile(text, `${path}.dvc`).outs.some((o) => o.md5 === oid && o.isexec === true);
  } catch {
    return false; // a broken .dvc file is not the pull's business: the object still lands
  }
}

/** Which artifacts each object belongs to, DVC 3 and legacy objects apart. */
export class ObjectOwners {
  readonly dvc3 = new Map<string, string[]>();
  readonly legacy = new Map<string, string[]>();

  add(obj: ArtifactObject, name: string): void {
    const byOid = obj.legacy ? this.legacy : this.dvc3;
    byOid.set(obj.oid, [...(byOid.get(obj.oid) ?? []), name]);
  }
}
