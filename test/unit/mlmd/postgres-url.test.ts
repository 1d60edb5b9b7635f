import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { redactUrl } from '../../../src/mlmd/postgres/index.js';

describe('redactUrl (the location the PostgreSQL store names itself by)', () => {
  it('drops the password from the user part and the query, keeps the rest', () => {
    expect(redactUrl('postgres://cmf:s3cr%40t@db.example:5433/mlmd')).toBe(
      'postgres://cmf@db.example:5433/mlmd',
    );
    expect(
      redactUrl('postgresql://cmf@h/mlmd?password=pw&sslmode=require&sslpassword=k&options=-c%20x'),
    ).toBe('postgresql://cmf@h/mlmd?sslmode=require&options=-c%20x');
  });

  it('refuses what is not a PostgreSQL URL without repeating it', () => {
    for (const bad of ['mysql://u:topsecret@h/db', 'u:topsecret@h/db', '']) {
      let err: unknown;
      try {
        redactUrl(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CmfError);
      expect((err as CmfError).code).toBe('MLMD_PG_URL');
      expect((err as CmfError).message).not.toContain('topsecret');
    }
  });
});
