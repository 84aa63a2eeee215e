import { describe, expect, it } from 'vitest';
import { boundingBox, distanceKm, type LatLng } from '../geo.js';
import { destination } from './harness.js';

const inBox = (box: ReturnType<typeof boundingBox>, p: LatLng) =>
  p.latitude >= box.minLatitude &&
  p.latitude <= box.maxLatitude &&
  box.longitudeRanges.some(([min, max]) => p.longitude >= min && p.longitude <= max);

describe('geo', () => {
  it('measures great-circle distances', () => {
    const berlin = { latitude: 52.52, longitude: 13.405 };
    const paris = { latitude: 48.8566, longitude: 2.3522 };
    expect(distanceKm(berlin, paris)).toBeCloseTo(877.5, 0);
    expect(distanceKm(berlin, destination(berlin, 5, 77))).toBeCloseTo(5, 9);
  });

  it.each([
    ['mid-latitudes', { latitude: 52.52, longitude: 13.405 }, 50],
    ['the antimeridian', { latitude: -16.5, longitude: 179.9 }, 100],
    ['the other side of the antimeridian', { latitude: 64, longitude: -179.95 }, 30],
    ['a pole', { latitude: 89.9, longitude: 0 }, 20],
    ['the equator', { latitude: 0, longitude: 0 }, 500],
  ])('boxes every point of a circle near %s', (_where, center, radiusKm) => {
    const box = boundingBox(center, radiusKm);
    for (let bearing = 0; bearing < 360; bearing += 7.5) {
      for (const fraction of [0.5, 0.999]) {
        expect(inBox(box, destination(center, radiusKm * fraction, bearing))).toBe(true);
      }
    }
    // …and stays small: a point well outside the circle, due north, is outside the box (unless the box holds the pole).
    if (box.maxLatitude < 90) expect(inBox(box, destination(center, radiusKm * 1.01, 0))).toBe(false);
  });

  it('splits the longitude range at the antimeridian', () => {
    expect(boundingBox({ latitude: 0, longitude: 179.99 }, 5).longitudeRanges).toHaveLength(2);
    expect(boundingBox({ latitude: 0, longitude: 0 }, 5).longitudeRanges).toHaveLength(1);
    expect(boundingBox({ latitude: 89.99, longitude: 0 }, 5).longitudeRanges).toEqual([[-180, 180]]);
  });
});
