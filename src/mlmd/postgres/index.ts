/** The MLMD store in PostgreSQL, for the metadata server (see store.ts). */
export { PostgresMlmdStore, redactUrl, type PostgresOpenOptions } from './store.js';
export { MlmdDatabaseError, PgErrorCode } from './errors.js';
