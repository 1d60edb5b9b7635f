/**
 * Reading what travels with a push out of an exchange document (§6.1): the executions'
 * `Python_Env` files and the artifacts' `labels_uri` entries (`path:md5`, comma-joined),
 * gathered execution element by execution element as the document is written.
 */
import type { PyJson } from '../cmf/python-json.js';

type Obj = { [key: string]: PyJson };

function objects(v: PyJson | undefined): Obj[] {
  return Array.isArray(v)
    ? (v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as Obj[])
    : [];
}

function customString(node: Obj, key: string): string | undefined {
  const custom = node.custom_properties as Obj | undefined;
  const v = custom?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The files a push uploads beside the metadata, each once. */
export class SideFiles {
  private readonly env = new Set<string>();
  private readonly labels = new Map<string, { path: string; md5: string }>();

  /** Takes what one execution element names (its events' artifacts included). */
  add(execution: Obj): void {
    const env = customString(execution, 'Python_Env');
    if (env) this.env.add(env);
    for (const ev of objects(execution.events)) {
      const art = ev.artifact as Obj | undefined;
      const uri = art ? customString(art, 'labels_uri') : undefined;
      for (const item of uri?.split(',') ?? []) {
        const at = item.lastIndexOf(':');
        if (at <= 0) continue;
        const path = item.slice(0, at).trim();
        const md5 = item.slice(at + 1).trim();
        if (path && md5) this.labels.set(`${path}:${md5}`, { path, md5 });
      }
    }
  }

  /** Distinct `Python_Env` values (paths of environment files, relative to the project). */
  pythonEnvFiles(): string[] {
    return [...this.env];
  }

  /** Distinct label files as `{path, md5}` from the artifacts' `labels_uri`. */
  labelFiles(): { path: string; md5: string }[] {
    return [...this.labels.values()];
  }
}
