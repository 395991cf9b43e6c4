import { describe, expect, it } from 'vitest';
import { ALB_MAX_WEIGHT, fromAlbWeights, toAlbWeights } from '../../functions/domain/weights.js';

describe('percent ↔ ALB target-group weights', () => {
  it.each([
    [{ stable: 100, canary: 0 }, { stable: 900, canary: 0 }],
    [{ stable: 99, canary: 1 }, { stable: 891, canary: 9 }],
    [{ stable: 50, canary: 50 }, { stable: 450, canary: 450 }],
    [{ stable: 0, canary: 100 }, { stable: 0, canary: 900 }],
  ])('%o is %o, within 0..999, and reads back exactly', (percent, alb) => {
    expect(toAlbWeights(percent)).toEqual(alb);
    expect(Math.max(alb.stable, alb.canary)).toBeLessThanOrEqual(ALB_MAX_WEIGHT);
    expect(fromAlbWeights(alb)).toEqual(percent);
  });

  it('every whole-percent split survives the round trip', () => {
    for (let canary = 0; canary <= 100; canary++) {
      const percent = { stable: 100 - canary, canary };
      expect(fromAlbWeights(toAlbWeights(percent))).toEqual(percent);
    }
  });

  it.each([
    [{ stable: 1, canary: 1 }, { stable: 50, canary: 50 }],
    [{ stable: 2, canary: 1 }, { stable: 67, canary: 33 }],
    [{ stable: 999, canary: 1 }, { stable: 100, canary: 0 }],
  ])('weights set by others (%o) read as %o, adding to 100', (alb, percent) => {
    expect(fromAlbWeights(alb)).toEqual(percent);
  });

  it.each([
    [{ stable: 101, canary: -1 }, 'whole percent'],
    [{ stable: 50.5, canary: 49.5 }, 'whole percent'],
    [{ stable: 60, canary: 30 }, 'must be 100'],
  ])('refuses %o with TrafficConfigError', (percent, message) => {
    expect(() => toAlbWeights(percent)).toThrow(expect.objectContaining({ name: 'TrafficConfigError', message: expect.stringContaining(message) as unknown }));
  });

  it.each([
    [{ stable: 1000, canary: 0 }, '0 to 999'],
    [{ stable: 0, canary: 0 }, 'weight 0'],
  ])('refuses ALB weights %o with TrafficConfigError', (alb, message) => {
    expect(() => fromAlbWeights(alb)).toThrow(expect.objectContaining({ name: 'TrafficConfigError', message: expect.stringContaining(message) as unknown }));
  });
});
