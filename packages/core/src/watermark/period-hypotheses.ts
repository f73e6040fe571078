/**
 * The tile periods the detector searches in a working picture: a log sweep of uniform scales around the height-fit
 * period, stretched aspect ratios (aspect not kept), the periods of common master heights (crops kept at their
 * size), and for pictures taller than wide, masters scaled to the picture's width (vertical re-uploads). Each is a
 * `Hypothesis`: a period and an orientation to search the accumulator in (docs/WATERMARK.md, Detection step 4). And
 * the nominal syncs, a plain rescale's or a centred fit's, whose position is known too (`nominalSyncs`).
 */
import type { TilePeriod } from './correlator.js';
import { orientationTag, type Orientation } from './orientation.js';
import { CELLS, TILE_PERIOD_PER_HEIGHT, tilePeriodFor } from './pattern.js';

/** A tile period, searched in the accumulator as it is or turned back from an orientation (`orientation.ts`). */
export interface Hypothesis extends TilePeriod, Orientation {}

/** Uniform scale sweep: tile period between these multiples of the height-fit period, in log steps. */
export const SWEEP_MIN = 0.5;
export const SWEEP_MAX = 1.6;
export const SWEEP_STEP = 0.004;
/** Smallest tile period (pixels) worth searching: below it, cells are smaller than a pixel and alias. */
const MIN_PERIOD = 96;
/** Longest period tried, in picture widths (heights): folds cover at least half of the tile on each axis. */
const MAX_PERIOD_PER_SIDE = 2;
/** Master aspect ratios tried for stretched (aspect not kept) and letter/pillar-boxed leaks. */
const MASTER_ASPECTS = [16 / 9, 1.85, 1.9, 2.0, 2.39, 4 / 3];
/** The widest master a picture taller than wide is searched for, scaled to its width (`periodHypotheses`). */
const PORTRAIT_WIDEST_ASPECT = 2.5;
/** Master heights tried for crops kept at their cropped size. */
const MASTER_HEIGHTS = [480, 576, 720, 1080, 1440, 2160];

/**
 * The tile-period hypotheses searched in a working-size picture (w x h, `factor` working pixels per input pixel):
 * the uniform sweep, stretched aspect ratios, the periods of common master heights (crops kept at their size); the
 * picture as it is (the detector searches the same periods in its mirror image too).
 */
export function periodHypotheses(w: number, h: number, factor: number): Hypothesis[] {
  const list: Hypothesis[] = [];
  const seen = new Set<string>();
  const add = (px: number, py: number) => {
    if (!periodFits(px, py, w, h)) return;
    const hypothesis = { periodX: px, periodY: py, mirrored: false, rotation: 0 };
    const tag = periodTag(hypothesis, 2);
    if (seen.has(tag)) return;
    seen.add(tag);
    list.push(hypothesis);
  };
  const fit = TILE_PERIOD_PER_HEIGHT * h;
  for (let r = Math.log(SWEEP_MIN); r <= Math.log(SWEEP_MAX) + 1e-9; r += SWEEP_STEP) add(fit * Math.exp(r), fit * Math.exp(r));
  // Stretched to fill the frame (aspect not kept): the width maps the master's width, the height its height.
  for (const aspect of MASTER_ASPECTS) add((TILE_PERIOD_PER_HEIGHT * w) / aspect, fit);
  for (const masterHeight of MASTER_HEIGHTS) {
    const period = TILE_PERIOD_PER_HEIGHT * masterHeight * factor;
    add(period, period);
  }
  // A picture taller than wide may hold a landscape master scaled to its width, between bars or over a blurred
  // copy of itself (a vertical re-upload): the uniform sweep goes on down, on its grid, to the period of a master
  // as wide as the picture in the widest aspect.
  if (h > w) {
    const low = Math.log(w / (h * PORTRAIT_WIDEST_ASPECT));
    for (let r = Math.log(SWEEP_MIN) - SWEEP_STEP; r >= low - 1e-9; r -= SWEEP_STEP) add(fit * Math.exp(r), fit * Math.exp(r));
  }
  return list;
}

/**
 * Every `stride`-th period of the uniform log sweep in `uniform` (those a multiple of `stride` SWEEP_STEPs from its
 * start, `fit` being the height-fit period), with every period that is not on the sweep (master heights) kept.
 */
export function sweepPeriodsEvery(stride: number, uniform: Hypothesis[], fit: number): Hypothesis[] {
  return uniform.filter((h) => {
    const index = Math.log(h.periodX / (fit * SWEEP_MIN)) / SWEEP_STEP;
    const step = Math.round(index);
    return Math.abs(index - step) > 1e-6 || step % stride === 0;
  });
}

/**
 * Whether a period can be searched in a w x h working picture: cells of at least MIN_PERIOD / CELLS pixels, and a
 * period no wider or taller than MAX_PERIOD_PER_SIDE pictures. A period wider than the picture folds into part of the
 * tile (the rest of its cells stay empty): a 9:16 crop of a 16:9 leak keeps only 0.8 of the 1080p period across.
 */
export function periodFits(px: number, py: number, w: number, h: number): boolean {
  return px >= MIN_PERIOD && py >= MIN_PERIOD && px <= w * MAX_PERIOD_PER_SIDE && py <= h * MAX_PERIOD_PER_SIDE;
}

/**
 * A period hypothesis as a string key, both periods to `digits` decimals (hypotheses closer than that are one), and
 * its orientation.
 */
export function periodTag(h: Hypothesis, digits: number): string {
  return `${h.periodX.toFixed(digits)}x${h.periodY.toFixed(digits)}${orientationTag(h)}`;
}

/**
 * The nominal syncs: where the master's tile lands when the leak is the whole master rescaled, known from the
 * picture's size alone. Every look also reads the payload there, at the known position and sub-cell offset, whatever
 * the search found: one sync more each in the candidates' and the free decoder's trials. On a heavily re-encoded leak
 * the reference tile can be too weak for the search to find that sync (its noise maxima elsewhere outrank it) while
 * the payload, read where the geometry says, holds the ID.
 * - `rescale`: a plain rescale of the whole master, what most re-encoded leaks are (the master's tile scaled by the
 *   picture's height over the master's, anchored at the corner: right whatever the master's aspect, if the picture
 *   has it);
 * - and for a picture whose aspect is not 16:9 (beyond NOMINAL_ASPECT_TOLERANCE), a 16:9 master fitted to the
 *   picture's `width` and centred (its height cropped, as when a scope film's letterbox bars are cut away, or
 *   padded), and fitted to its `height` and centred (a 4:3 or 9:16 centre cut, or a pillarbox).
 */
export interface NominalSync {
  /** Its hypothesis, with the cell where the reference peak would be (`peakIndex`: y * CELLS + x) and z 0. */
  sync: Hypothesis & { z: number; peakIndex: number };
  sub: { dx: number; dy: number };
  fit: NominalFit;
}

export type NominalFit = 'rescale' | 'width' | 'height';

/**
 * A nominal sync's geometry in words ("a plain rescale of the whole master", ...), for reports and the CLI; a
 * nominal geometry recorded before the fits existed (`fit` absent) was a plain rescale.
 */
export function describeNominalFit(fit: NominalFit | undefined): string {
  if (fit === 'width') return "the master fitted to the picture's width and centred, its height cropped or padded";
  if (fit === 'height') return "the master fitted to the picture's height and centred, its width cropped or padded";
  return 'a plain rescale of the whole master';
}

/** The master's aspect the nominal syncs assume (width over height: 16:9). */
export const NOMINAL_MASTER_ASPECT = 16 / 9;
/** How far (relative) a picture's aspect may be from the master's and still be read as a plain rescale of it. */
export const NOMINAL_ASPECT_TOLERANCE = 0.01;

/**
 * The nominal syncs of an input (w x h) read in the working picture (ww x wh), for a master `masterHeight` tall: the
 * embedder's tile (its period `tilePeriodFor(masterHeight)`, its origin at the master's pixel (0, 0)) scaled as
 * ffmpeg scales, pixel centres onto pixel centres (x' + 0.5 = (x + 0.5) s), moved so that the master's centre falls
 * on the picture's (for the fits; a plain rescale is anchored at the corner), then scaled to the
 * working size the same way. The fold's origin is the working picture's centre, as in `look`. Only those whose period
 * `periodFits` allows.
 */
export function nominalSyncs(w: number, h: number, ww: number, wh: number, masterHeight: number): NominalSync[] {
  const masterWidth = masterHeight * NOMINAL_MASTER_ASPECT;
  const sixteenNine = Math.abs(w / h / NOMINAL_MASTER_ASPECT - 1) <= NOMINAL_ASPECT_TOLERANCE;
  const fits: Array<{ fit: NominalFit; scale: number }> = [{ fit: 'rescale', scale: h / masterHeight }];
  if (!sixteenNine) fits.push({ fit: 'width', scale: w / masterWidth }, { fit: 'height', scale: h / masterHeight });
  const out: NominalSync[] = [];
  for (const { fit, scale } of fits) {
    const period = tilePeriodFor(masterHeight) * scale;
    const axis = (input: number, working: number, master: number) => {
      const f = working / input;
      const p = period * f;
      // The master's centre onto the picture's: (input - master s) / 2 input pixels (0 for the axis fitted).
      const shift = fit === 'rescale' ? 0 : (input - master * scale) / 2;
      // In input pixels 0.5 s - 0.5 + shift; in working pixels, pixel centres onto pixel centres again.
      const origin = (0.5 * scale + shift) * f - 0.5;
      const cells = (((((origin - (working >> 1)) * CELLS) / p) % CELLS) + CELLS) % CELLS;
      const cell = Math.round(cells);
      return { p, cell: cell % CELLS, sub: cells - cell };
    };
    const x = axis(w, ww, masterWidth);
    const y = axis(h, wh, masterHeight);
    if (!periodFits(x.p, y.p, ww, wh)) continue;
    out.push({
      sync: { periodX: x.p, periodY: y.p, mirrored: false, rotation: 0, z: 0, peakIndex: y.cell * CELLS + x.cell },
      sub: { dx: x.sub, dy: y.sub },
      fit,
    });
  }
  return out;
}
