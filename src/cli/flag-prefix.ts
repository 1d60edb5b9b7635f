import { UsageError } from '../errors/index.js';

/** What expansion needs to know of an oclif flag definition. */
export interface PrefixFlag {
  type: 'boolean' | 'option';
  char?: string;
  charAliases?: string[];
  aliases?: string[];
  allowNo?: boolean;
}

/**
 * argparse lets users abbreviate a long flag to any unique prefix (`--pipe` for
 * `--pipeline_name`); Python cmf users rely on it, oclif does not do it. Rewrites each
 * abbreviated long flag to its full name before oclif parses. A name that is a flag's name or
 * alias is kept as typed; a prefix of several flags is a usage error naming them (prefixes
 * matching only one flag's spellings, `--pipeline_name` and `--pipeline-name`, are unique).
 * Values of flags and everything after `--` are left alone; a token where a value belongs
 * that names a flag is that flag (`-j --forc`: -j lacks its value), not the value.
 * A switch (boolean flag) given a value (`--json=true`) is a usage error naming it: a switch
 * takes none, and accepting `=false` would read as the opposite of what `--no-pager=false` says.
 */
export function expandFlagPrefixes(argv: string[], flags: Record<string, PrefixFlag>): string[] {
  // Every long spelling → the name the flag is expanded to.
  const spellings = new Map<string, string>();
  const valueFlags = new Set<string>();
  const valueChars = new Set<string>();
  const switches = new Set<string>();
  for (const [name, flag] of Object.entries(flags)) {
    for (const spelling of [name, ...(flag.aliases ?? [])]) spellings.set(spelling, name);
    if (flag.type === 'boolean') switches.add(name);
    if (flag.type === 'boolean' && flag.allowNo) {
      spellings.set(`no-${name}`, `no-${name}`);
      switches.add(`no-${name}`);
    }
    if (flag.type === 'option') {
      valueFlags.add(name);
      for (const c of [flag.char, ...(flag.charAliases ?? [])]) if (c) valueChars.add(c);
    }
  }

  // A token after a flag that takes a value is that value, unless it names a flag itself
  // (in full or as a unique prefix): then the value is missing, as argparse and oclif say.
  const namesFlag = (token: string): boolean => {
    if (!token.startsWith('--') || token === '--') return false;
    const typed = typedName(token);
    return [...spellings.keys()].some((s) => s.startsWith(typed));
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const valueFollows = () => i + 1 < argv.length && !namesFlag(argv[i + 1]!);
    if (arg.startsWith('--')) {
      const typed = typedName(arg);
      const name = spellings.get(typed) ?? (typed === '' ? undefined : expand(typed, spellings));
      if (name !== undefined && switches.has(name) && arg.includes('=')) refuseValue(arg, name);
      out.push(
        name === undefined || spellings.has(typed)
          ? arg
          : `--${name}${arg.slice(typed.length + 2)}`,
      );
      if (name !== undefined && valueFlags.has(name) && !arg.includes('=') && valueFollows()) {
        out.push(argv[++i]!);
      }
    } else if (/^-[^-]$/.test(arg) && valueChars.has(arg[1]!) && valueFollows()) {
      out.push(arg, argv[++i]!);
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** The name typed in a long flag token: `--name` or `--name=value` → `name`. */
function typedName(token: string): string {
  const eq = token.indexOf('=');
  return eq < 0 ? token.slice(2) : token.slice(2, eq);
}

/** The one flag `prefix` abbreviates; undefined for none (oclif then reports it). */
function expand(prefix: string, spellings: Map<string, string>): string | undefined {
  const names = new Set<string>();
  for (const [spelling, name] of spellings) if (spelling.startsWith(prefix)) names.add(name);
  if (names.size <= 1) return [...names][0];
  const list = [...names]
    .sort()
    .map((n) => `--${n}`)
    .join(', ');
  throw new UsageError('AMBIGUOUS_FLAG', `Ambiguous flag --${prefix}: it could be ${list}`, {
    hint: 'Type more of the flag name, so that only one flag starts with it.',
    data: { prefix, candidates: [...names].sort() },
  });
}

/** `--json=true`: a switch is on when given, off when left out. */
function refuseValue(arg: string, name: string): never {
  throw new UsageError('FLAG_TAKES_NO_VALUE', `Flag --${name} takes no value: ${arg}`, {
    hint: `Give --${name} alone to turn it on, or leave it out.`,
    data: { flag: name },
  });
}
