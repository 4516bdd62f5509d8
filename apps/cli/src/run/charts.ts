/**
 * Charts as Vega-Lite specs, rendered to SVG by Vega's headless renderer and to PNG by resvg. Nothing is drawn
 * by hand: this module only says which data goes on which axis.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from './run-dir.js';

export interface LineChart {
  readonly title: string;
  readonly values: ReadonlyArray<Record<string, number | string | null>>;
  readonly x: { field: string; title: string; log?: boolean; integer?: boolean };
  readonly y: { field: string; title: string; log?: boolean };
  /** Field whose values name the lines (one color each). */
  readonly series?: { field: string; title: string };
  /** Mark a point at every datum (few points, e.g. epochs). */
  readonly points?: boolean;
}

/** The Vega-Lite spec of a line chart. */
export function lineSpec(chart: LineChart): Record<string, unknown> {
  const scale = (log?: boolean) => (log ? { type: 'log' } : { zero: false });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 520,
    height: 300,
    background: 'white',
    data: { values: chart.values },
    mark: { type: 'line', point: chart.points === true, clip: true },
    encoding: {
      x: {
        field: chart.x.field,
        type: 'quantitative',
        title: chart.x.title,
        scale: scale(chart.x.log),
        ...(chart.x.integer === true ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      y: { field: chart.y.field, type: 'quantitative', title: chart.y.title, scale: scale(chart.y.log) },
      ...(chart.series !== undefined
        ? { color: { field: chart.series.field, type: 'nominal', title: chart.series.title, sort: null } }
        : {}),
    },
  };
}

/** SVG text of a chart (Vega's headless SVG renderer; text widths are estimated, no canvas needed). */
export async function renderSvg(chart: LineChart): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(lineSpec(chart) as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The font the charts ask for, where Debian's fonts-dejavu-core puts it. */
const DEJAVU_SANS = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/**
 * PNG bytes of an SVG at twice its size (resvg). With DejaVu Sans installed only that file is loaded; scanning
 * every system font took most of a chart's time (about 0.3 s each, three charts a run). Else the system's fonts.
 */
export async function renderPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const fonts = existsSync(DEJAVU_SANS)
    ? { loadSystemFonts: false, fontFiles: [DEJAVU_SANS] }
    : { loadSystemFonts: true };
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { ...fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Writes `<name>.svg` and `<name>.png` into `dir`; returns both paths. */
export async function writeChart(dir: string, name: string, chart: LineChart): Promise<string[]> {
  const svg = await renderSvg(chart);
  const png = await renderPng(svg);
  const paths = [join(dir, `${name}.svg`), join(dir, `${name}.png`)];
  await writeAtomic(paths[0] as string, svg);
  await writeAtomic(paths[1] as string, png);
  return paths;
}

/** Replaces non-finite numbers by null (JSON and Vega both skip them). */
export const finite = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);
