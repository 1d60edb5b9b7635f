/** PostgreSQL errors turned into errors a user can act on. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { translatePgError } from '../../../src/mlmd/postgres/errors.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('translatePgError', () => {
  it('a search_path naming no existing schema says so, not GRANT', () => {
    const err = translatePgError(
      pgError('3F000', 'no schema has been selected to create in'),
      'postgres://cmf@db/mlmd',
    ) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('MLMD_PG_NO_SCHEMA');
    expect(err.hint).toMatch(/does not exist: create it \(CREATE SCHEMA NAME/);
    expect(err.hint).not.toMatch(/GRANT/);
  });

  it('a missing privilege still hints at GRANT', () => {
    const err = translatePgError(
      pgError('42501', 'permission denied for schema public'),
      'postgres://cmf@db/mlmd',
    ) as ConfigError;
    expect(err.code).toBe('MLMD_PG_PERMISSION');
    expect(err.hint).toMatch(/GRANT/);
  });
});
