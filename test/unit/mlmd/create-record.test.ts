import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArtifactState,
  ExecutionState,
  MlmdStore,
  PropertyType,
  TypeKind,
  boolValue,
  doubleValue,
  intValue,
  protoValue,
  stringValue,
  structValue,
} from '../../../src/mlmd/index.js';
import { tempDir } from './helpers.js';

describe('create', () => {
  it('returns exactly the record a read of the new node returns', () => {
    const store = MlmdStore.open(join(tempDir(), 'mlmd'));
    try {
      const props = {
        n: PropertyType.INT,
        x: PropertyType.DOUBLE,
        s: PropertyType.STRING,
        b: PropertyType.BOOLEAN,
      };
      const at = store.types.put(TypeKind.ARTIFACT, 'Data', { properties: props }).id;
      const et = store.types.put(TypeKind.EXECUTION, 'Step', { properties: props }).id;
      const ct = store.types.put(TypeKind.CONTEXT, 'Stage', { properties: props }).id;
      const custom = {
        zeta: 1,
        Alpha: 2.5,
        'é-accent': 'x',
        '\u{1F600}emoji': true,
        big: 2n ** 60n,
        st: structValue('eyJhIjoxfQ=='),
        pr: protoValue('CgR0ZXN0'),
        '': stringValue(''),
        b2: boolValue(false),
        i2: intValue(-3),
        d2: doubleValue(3000),
      };
      const properties = { x: 1.5, s: 'hello', n: 7, b: true };
      const a = store.artifacts.create({
        typeId: at,
        name: 'a:1',
        uri: 'u1',
        state: ArtifactState.LIVE,
        externalId: 'ext-1',
        properties,
        customProperties: custom,
      });
      expect(a).toEqual(store.artifacts.get(a.id));
      expect(Object.keys(a.customProperties)).toEqual(
        Object.keys(store.artifacts.get(a.id)!.customProperties),
      );
      const unnamed = store.artifacts.create({ typeId: at });
      expect(unnamed).toEqual(store.artifacts.get(unnamed.id));
      const e = store.executions.create({
        typeId: et,
        lastKnownState: ExecutionState.RUNNING,
        properties,
        customProperties: custom,
      });
      expect(e).toEqual(store.executions.get(e.id));
      const c = store.contexts.create({
        typeId: ct,
        name: 'c',
        properties,
        customProperties: custom,
      });
      expect(c).toEqual(store.contexts.get(c.id));
      expect(Object.keys(c.customProperties)).toEqual(
        Object.keys(store.contexts.get(c.id)!.customProperties),
      );
    } finally {
      store.close();
    }
  });
});
