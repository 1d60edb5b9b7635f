/**
 * What to tell a user who gave a flag no value (or left out a required one): per flag, since
 * "leave it out to use the default" is wrong for a required flag and means something
 * different for each optional one. Keys are the names the messages show.
 */
interface FlagHint {
  /** How to give a value. */
  give: string;
  /** What leaving the flag out does (optional flags only). */
  omit?: string;
}

const HINTS: Record<string, FlagHint> = {
  '-p/--pipeline_name': {
    give: "Give the pipeline's name, e.g. -p Test-env ('cmf pipeline list' shows the pipelines)",
    omit: "use the MLMD file's only pipeline, else the project directory's name",
  },
  '-f/--file_name': {
    give: 'Give the path of the MLMD file, e.g. -f ./mlmd',
    omit: 'use ./mlmd',
  },
  '-e/--execution_uuid': {
    give: "Give an execution's uuid ('cmf execution list -p <pipeline>' shows them)",
    omit: 'take every execution of the pipeline',
  },
  '-a/--artifact_name': {
    give: "Give an artifact's name or path ('cmf artifact list -p <pipeline>' shows them)",
    omit: 'take every artifact of the pipeline',
  },
  '-t/--tensorboard_path': {
    give: 'Give the path of the TensorBoard log file or directory',
    omit: 'push no TensorBoard logs',
  },
  '-j/--json_file_name': {
    give: "Give the file to write, or '-' for stdout",
    omit: 'write <pipeline>.json',
  },
  '--git-remote-url': {
    give: 'Give the URL of the git repository for your code, e.g. --git-remote-url https://github.com/me/project.git',
  },
  '--cmf-server-url': {
    give: 'Give the URL of the cmf server, e.g. --cmf-server-url http://127.0.0.1:80',
    omit: 'keep the one in .cmfconfig, else http://127.0.0.1:80',
  },
};

/** The hint for a missing or empty value of `flag` (e.g. `-p/--pipeline_name`). */
export function flagValueHint(flag: string, required: boolean): string {
  const h = HINTS[flag];
  if (!h) return required ? `Give ${flag} a value.` : `Give ${flag} a value, or leave it out.`;
  if (required || h.omit === undefined) return `${h.give}.`;
  return `${h.give}, or leave ${flag.split('/')[0]} out to ${h.omit}.`;
}

/** `-p/--pipeline_name` for a flag with a short form, else `--name`. */
export function flagDisplayName(name: string, char?: string): string {
  return char ? `-${char}/--${name}` : `--${name}`;
}
