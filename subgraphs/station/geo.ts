/** Mean Earth radius (IUGG), the one every distance in this subgraph uses, in SQL and in TypeScript alike. */
export const EARTH_RADIUS_KM = 6371.0088;

export interface LatLng {
  latitude: number;
  longitude: number;
}

/** A latitude band and one or two longitude ranges (two when the box crosses the antimeridian). */
export interface BoundingBox {
  minLatitude: number;
  maxLatitude: number;
  longitudeRanges: Array<[min: number, max: number]>;
}

const toRadians = (degrees: number) => (degrees * Math.PI) / 180;
const toDegrees = (radians: number) => (radians * 180) / Math.PI;

/** Great-circle distance in km (haversine); the SQL filter computes the same formula. */
export function distanceKm(a: LatLng, b: LatLng): number {
  const dLat = toRadians(b.latitude - a.latitude);
  const dLng = toRadians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(a.latitude)) * Math.cos(toRadians(b.latitude)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The smallest latitude/longitude box that contains every point within `radiusKm` of `center`
 * (J. P. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude"). It lets an ordinary
 * b-tree index on (latitude, longitude) discard most rows before the exact haversine test.
 */
export function boundingBox(center: LatLng, radiusKm: number): BoundingBox {
  const angle = radiusKm / EARTH_RADIUS_KM;
  const lat = toRadians(center.latitude);
  const lng = toRadians(center.longitude);
  const minLat = lat - angle;
  const maxLat = lat + angle;

  // The circle contains a pole: every longitude qualifies within the latitude band.
  if (minLat <= -Math.PI / 2 || maxLat >= Math.PI / 2) {
    return {
      minLatitude: Math.max(toDegrees(minLat), -90),
      maxLatitude: Math.min(toDegrees(maxLat), 90),
      longitudeRanges: [[-180, 180]],
    };
  }

  const deltaLng = Math.asin(Math.sin(angle) / Math.cos(lat));
  const minLng = toDegrees(lng - deltaLng);
  const maxLng = toDegrees(lng + deltaLng);
  const longitudeRanges: Array<[number, number]> =
    minLng < -180
      ? [
          [minLng + 360, 180],
          [-180, maxLng],
        ]
      : maxLng > 180
        ? [
            [minLng, 180],
            [-180, maxLng - 360],
          ]
        : [[minLng, maxLng]];
  return { minLatitude: toDegrees(minLat), maxLatitude: toDegrees(maxLat), longitudeRanges };
}
