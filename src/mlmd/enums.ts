/**
 * MLMD enumerations as the integers stored in the SQLite file (spec/formats.md B3).
 * Plain `as const` objects rather than TS enums, so the values read back from SQLite
 * compare directly and the names can be listed.
 */

/** `Type.type_kind`. */
export const TypeKind = {
  EXECUTION: 0,
  ARTIFACT: 1,
  CONTEXT: 2,
} as const;
export type TypeKind = (typeof TypeKind)[keyof typeof TypeKind];

/** `TypeProperty.data_type`. UNKNOWN (0) is rejected by MLMD. */
export const PropertyType = {
  UNKNOWN: 0,
  INT: 1,
  DOUBLE: 2,
  STRING: 3,
  STRUCT: 4,
  PROTO: 5,
  BOOLEAN: 6,
} as const;
export type PropertyType = (typeof PropertyType)[keyof typeof PropertyType];

/** `Artifact.state` (NULL means unset). */
export const ArtifactState = {
  UNKNOWN: 0,
  PENDING: 1,
  LIVE: 2,
  MARKED_FOR_DELETION: 3,
  DELETED: 4,
  ABANDONED: 5,
  REFERENCE: 6,
} as const;
export type ArtifactState = (typeof ArtifactState)[keyof typeof ArtifactState];

/** `Execution.last_known_state` (NULL means unset). */
export const ExecutionState = {
  UNKNOWN: 0,
  NEW: 1,
  RUNNING: 2,
  COMPLETE: 3,
  FAILED: 4,
  CACHED: 5,
  CANCELED: 6,
} as const;
export type ExecutionState = (typeof ExecutionState)[keyof typeof ExecutionState];

/** `Event.type`. UNKNOWN (0) is rejected by MLMD's API. */
export const EventType = {
  UNKNOWN: 0,
  DECLARED_OUTPUT: 1,
  DECLARED_INPUT: 2,
  INPUT: 3,
  OUTPUT: 4,
  INTERNAL_INPUT: 5,
  INTERNAL_OUTPUT: 6,
  PENDING_OUTPUT: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Name of an enum value, for messages: `enumName(EventType, 3) === 'INPUT'`. */
export function enumName(e: Record<string, number>, value: number): string {
  for (const [k, v] of Object.entries(e)) if (v === value) return k;
  return String(value);
}
