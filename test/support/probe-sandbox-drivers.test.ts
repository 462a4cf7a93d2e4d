import { describe, expect, it } from 'vitest';
import { driverList, missingRequiredDrivers } from './probe-sandbox-drivers.js';

describe('BERTH_REQUIRE_DRIVERS', () => {
  const runscMissing = { runsc: 'The runsc sandbox driver cannot run here: runsc is not installed.' };

  it('asks for nothing when unset or blank', () => {
    expect(missingRequiredDrivers(runscMissing, {})).toEqual([]);
    expect(missingRequiredDrivers(runscMissing, { BERTH_REQUIRE_DRIVERS: ' , ' })).toEqual([]);
  });

  it('is satisfied when every required driver runs here', () => {
    expect(missingRequiredDrivers(runscMissing, { BERTH_REQUIRE_DRIVERS: 'runc, bwrap' })).toEqual([]);
  });

  it('names each required driver that cannot run here, with why', () => {
    expect(missingRequiredDrivers(runscMissing, { BERTH_REQUIRE_DRIVERS: 'runc,runsc,bwrap' })).toEqual([
      'runsc: The runsc sandbox driver cannot run here: runsc is not installed.',
    ]);
  });

  it('names an unknown driver', () => {
    expect(missingRequiredDrivers({}, { BERTH_REQUIRE_DRIVERS: 'bogus,runc' })).toEqual([
      'bogus: not a sandbox driver (known: runc, runsc, bwrap)',
    ]);
  });

  it('names a required driver that BERTH_TEST_DRIVERS leaves out', () => {
    expect(
      missingRequiredDrivers({}, { BERTH_REQUIRE_DRIVERS: 'runc,bwrap', BERTH_TEST_DRIVERS: 'bwrap' }),
    ).toEqual(['runc: BERTH_TEST_DRIVERS=bwrap leaves it out']);
  });

  it('reads comma lists with spaces and blanks', () => {
    expect(driverList(' runc ,, bwrap ')).toEqual(['runc', 'bwrap']);
    expect(driverList(undefined)).toEqual([]);
  });
});
