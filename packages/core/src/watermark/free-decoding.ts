/**
 * Free decoding of the payload: reading an ID from the five payload tiles' correlation surfaces at one
 * synchronisation, without being told which IDs exist (docs/WATERMARK.md, Detection step 5).
 *
 * A list decoder tries combinations of each tile's strongest peaks, best first, while their sum could still be
 * accused (`listDecode`); one tile can be erased and searched whole (`erasureDecode`); IDs decoded at earlier looks
 * are read again at their own positions (`readRecalled`). Every valid codeword found is kept with its tiles' z, and
 * `explainAwayDecoded` scores each on the tiles no other significant ID holds. None of this costs false-alarm budget:
 * the detector's bound already covers every valid codeword at the syncs read, however it is found.
 */
import type { WatermarkKey } from './key.js';
import { decodeShifts } from './payload.js';
import { AXIS_BITS, CELLS, PAYLOAD_TILES, type Shift } from './pattern.js';
import { log10Bonferroni, round3 } from './statistics.js';
import { nearSymbol, symbolOf } from './symbols.js';

/** Distinct peaks per payload tile in the list decoder (each with its 3 x 3 neighbourhood). */
export const LIST_DEPTH = 4;
/** The most decodes the list decoder tries per call (one sync). */
const LIST_BUDGET = 3000;
/** One-tile erasure decoding (`erasureDecode`): the least z of the erased tile, and the most positions it tries. */
const ERASURE_MIN_Z = 2.5;
const ERASURE_BUDGET = 2048;
/**
 * A spill variant of a significant decoded ID is left undecoded only when its sum is this far below the ID's (three
 * standard deviations of a five-tile sum of noise): closer, it could be the leaked ID itself, met after a valid
 * spill variant of it, and both must be decoded for explaining away to leave neither accused.
 */
const SPILL_MARGIN = 3 * Math.sqrt(5);
/** Decoded codewords remembered per `CodewordDecoder` (about 100 bytes each). */
const DECODE_MEMO_SIZE = 100_000;

/**
 * `decodeShifts`, remembered: the syncs of one look, and successive looks once locked, meet the same peaks, and
 * each decode costs eight HMACs. Bounded (cleared when full). `decode` is bound, to be passed as a callback.
 */
export class CodewordDecoder {
  /** Codeword (five 14-bit symbols) -> decoded ID or null. */
  private readonly memo = new Map<bigint, bigint | null>();

  constructor(private readonly key: WatermarkKey) {}

  readonly decode = (shifts: readonly Shift[]): bigint | null => {
    let code = 0n;
    for (const shift of shifts) code = (code << BigInt(2 * AXIS_BITS)) | BigInt(symbolOf(shift));
    const known = this.memo.get(code);
    if (known !== undefined) return known;
    const id = decodeShifts(this.key, shifts);
    if (this.memo.size >= DECODE_MEMO_SIZE) this.memo.clear();
    this.memo.set(code, id);
    return id;
  };
}

/**
 * Tries combinations of per-tile options (each tile's sorted by decreasing z) in decreasing order of their sum
 * (k-best enumeration with a heap over index vectors), while the sum can still reach `stopBelow`, at most
 * LIST_BUDGET combinations. Valid IDs (check bits verified) go into `found` with their best sum, tiles and symbols.
 *
 * A spill variant of an ID already found with a significant sum (`significantSum`): every tile on that ID's peak
 * or beside it, at least one beside, and a sum more than SPILL_MARGIN below, is not decoded: it holds only that
 * ID's evidence, and explaining away would leave any codeword it gave with nothing (`explainAwayDecoded`). On a
 * strongly marked copy such combinations are most of the budget (each decode costs seven or eight HMACs). Only
 * decodes are skipped, never the enumeration, so other IDs (a second colluder's) are reached exactly as before;
 * the rule needs all five tiles, so the leaked ID is still decoded when a neighbour codeword sharing four of its
 * tiles came first; and the margin keeps it decoded when a spill variant of it that is a valid codeword came first.
 */
export function listDecode(
  options: Array<Array<{ shift: Shift; z: number }>>,
  stopBelow: number,
  significantSum: number,
  decode: (shifts: readonly Shift[]) => bigint | null,
  found: Map<bigint, DecodedEntry>,
): void {
  const tiles = options.length;
  if (options.some((o) => o.length === 0 || o.length > 63)) return;
  // A combination is an index per tile, packed 6 bits each (at most 63 options per tile).
  const sumOf = (code: number) => {
    let sum = 0;
    for (let t = 0; t < tiles; t++) sum += options[t][(code >>> (6 * t)) & 63].z;
    return sum;
  };
  const heap = new MaxHeap();
  const seen = new Set<number>([0]);
  heap.push(0, sumOf(0));
  const shifts = new Array<Shift>(tiles);
  const anchors: Array<{ symbols: number[]; sum: number }> = [];
  for (const entry of found.values()) if (entry.sum >= significantSum) anchors.push(entry);
  for (let budget = LIST_BUDGET; budget > 0 && heap.size > 0; budget--) {
    const { code, key: sum } = heap.pop();
    if (sum < stopBelow) break;
    for (let t = 0; t < tiles; t++) shifts[t] = options[t][(code >>> (6 * t)) & 63].shift;
    const spill = anchors.some((a) => sum < a.sum - SPILL_MARGIN && spillVariant(shifts, a.symbols));
    const id = spill ? null : decode(shifts);
    const previous = id === null ? undefined : found.get(id);
    if (id !== null && !(previous && previous.sum >= sum)) {
      const values = new Float64Array(tiles);
      for (let t = 0; t < tiles; t++) values[t] = options[t][(code >>> (6 * t)) & 63].z;
      const symbols = shifts.map(symbolOf);
      found.set(id, { sum, tiles: values, symbols });
      if (sum >= significantSum) anchors.push({ symbols, sum });
    }
    for (let t = 0; t < tiles; t++) {
      const index = (code >>> (6 * t)) & 63;
      if (index + 1 >= options[t].length) continue;
      const next = code + (1 << (6 * t));
      if (seen.has(next)) continue;
      seen.add(next);
      heap.push(next, sumOf(next));
    }
  }
}

/** A freely decoded ID: the sum of its payload tiles' z, each tile's z, and each tile's symbol (dy * CELLS + dx). */
export interface DecodedEntry {
  sum: number;
  tiles: Float64Array;
  symbols: number[];
  /** Read at another payload offset (`decodeAtOffsets`): its trials are the usual ones times this. */
  trialsFactor?: number;
}

/**
 * Whether `shifts` is a spill variant of `symbols`: every tile's shift on or beside the symbol, at least one not on
 * it (the ID itself is still decoded: it is remembered, and its best sum counts).
 */
export function spillVariant(shifts: readonly Shift[], symbols: readonly number[]): boolean {
  let same = true;
  for (let t = 0; t < shifts.length; t++) {
    const symbol = symbolOf(shifts[t]);
    if (!nearSymbol(symbol, symbols[t])) return false;
    if (symbol !== symbols[t]) same = false;
  }
  return !same;
}

/**
 * Scores the freely decoded IDs, explaining away tiles that are another ID's evidence, and sorts them best first.
 *
 * The list decoder searches combinations of the strongest peaks, so on a marked copy it can meet a valid codeword
 * that shares four of its five tile symbols with the copy's own ID (such a neighbour exists for 5 x 2^14 x 2^-22, about
 * 2% of IDs, and is met when its odd tile is among the peaks tried): that codeword would inherit four tiles of
 * someone else's evidence, which the null model behind the bound (every tile of an innocent is noise) does not
 * allow. So each decoded ID is judged on its own tiles only: those whose symbol no accused candidate and no other
 * decoded ID that is significant on its whole score also holds, on the same cell or beside it (a peak spills into its
 * neighbour cells, which the list decoder also tries: a codeword made of another ID's peaks one cell off would
 * otherwise keep that spill as evidence of its own). A neighbour keeps its single odd tile and falls far
 * short, and so does the true ID, left with its own odd tile, in the look where that happens (a rare miss, never a
 * false accusation); two colluders' IDs meet in a tile (same or neighbouring cell) with probability 5 x 9 x 2^-14 only, and keep their whole scores. Not greedy (accept the
 * best, then strip its tiles from the rest, as for candidates): a neighbour can outrank the leaked ID when its odd
 * tile's noise peak beats the leaked ID's weakest tile, and greedy would then accuse the neighbour.
 */
export function explainAwayDecoded(
  found: ReadonlyMap<bigint, DecodedEntry>,
  accused: ReadonlyArray<{ id: bigint; symbols: readonly number[] }>,
  log10Threshold: number,
  trials: number,
): Array<{ id: bigint; score: number; log10p: number }> {
  const entries = [...found.entries()];
  const n = PAYLOAD_TILES;
  const full = (e: DecodedEntry) => e.sum / Math.sqrt(e.tiles.length);
  const trialsOf = (e: DecodedEntry) => trials * (e.trialsFactor ?? 1);
  const holders: Array<{ id: bigint; symbols: readonly number[] }> = [
    ...accused,
    ...entries.filter(([, e]) => log10Bonferroni(full(e), trialsOf(e)) < log10Threshold).map(([id, e]) => ({ id, symbols: e.symbols })),
  ];
  return entries
    .map(([id, e]) => {
      let sum = 0;
      let own = 0;
      for (let t = 0; t < n; t++) {
        if (holders.some((h) => h.id !== id && nearSymbol(h.symbols[t], e.symbols[t]))) continue;
        sum += e.tiles[t];
        own++;
      }
      const score = own === 0 ? 0 : sum / Math.sqrt(own);
      return { id, score: round3(score), log10p: own === 0 ? 0 : log10Bonferroni(score, trialsOf(e)) };
    })
    .sort((a, b) => a.log10p - b.log10p || b.score - a.score);
}

/**
 * The peaks and their 3 x 3 neighbourhoods, sorted by decreasing z: a peak's maximum can land one cell off the true
 * shift (a sub-cell offset plus noise), which the neighbour suppression of `topPeaks` would otherwise hide.
 */
export function withNeighbours(surface: Float64Array, rx: number, ry: number, peaks: Array<{ shift: Shift; z: number }>): Array<{ shift: Shift; z: number }> {
  const seen = new Set<number>();
  const out: Array<{ shift: Shift; z: number }> = [];
  for (const { shift } of peaks) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const sx = (shift.dx + dx) & (CELLS - 1);
        const sy = (shift.dy + dy) & (CELLS - 1);
        if (seen.has(sy * CELLS + sx)) continue;
        seen.add(sy * CELLS + sx);
        out.push({ shift: { dx: sx, dy: sy }, z: surface[((ry + sy) & (CELLS - 1)) * CELLS + ((rx + sx) & (CELLS - 1))] });
      }
    }
  }
  return out.sort((a, b) => b.z - a.z);
}

/** An ID decoded at an earlier look (`WatermarkDetector.recalled`): its tiles' symbols and shifts, its best sum. */
export interface Recalled {
  symbols: number[];
  shifts: Shift[];
  sum: number;
}

/**
 * Each payload tile's z at the position `shifts` gives it relative to (x, y) on the standardised surfaces (index 0
 * the reference) into `out`; returns their sum.
 */
export function readTiles(surfaces: readonly Float64Array[], x: number, y: number, shifts: readonly Shift[], out: Float64Array): number {
  let sum = 0;
  for (let t = 0; t < PAYLOAD_TILES; t++) {
    out[t] = surfaces[t + 1][((y + shifts[t].dy) & (CELLS - 1)) * CELLS + ((x + shifts[t].dx) & (CELLS - 1))];
    sum += out[t];
  }
  return sum;
}

/**
 * Reads every recalled ID on the standardised surfaces of one sync (reference peak at (rx, ry)), and keeps it in
 * `found` where its sum beats what that ID already has there.
 */
export function readRecalled(
  surfaces: readonly Float64Array[],
  rx: number,
  ry: number,
  recalled: ReadonlyMap<bigint, Pick<Recalled, 'symbols' | 'shifts'>>,
  found: Map<bigint, DecodedEntry>,
): void {
  for (const [id, { symbols, shifts }] of recalled) {
    const tiles = new Float64Array(PAYLOAD_TILES);
    const sum = readTiles(surfaces, rx, ry, shifts, tiles);
    if ((found.get(id)?.sum ?? -Infinity) >= sum) continue;
    found.set(id, { sum, tiles, symbols });
  }
}

/**
 * The list decoder with one tile erased: `surfaces` are the standardised correlation surfaces (index 0 the
 * reference, whose peak is at (rx, ry)), `best` each payload tile's best peak (`topPeaks`); four payload tiles at
 * their best peaks, the fifth at every position where
 * its z could still bring the five-tile sum to `neededSum` (and is at least ERASURE_MIN_Z), for each tile in turn.
 * A marginal leak often has four clear peaks and one tile whose true peak is real but not among its four best (a
 * 360p re-encode of white credits on near-black: tiles z 5.8, 3.0 (rank 28), 4.6, 5.5, 5.8, sum 24.7, where 23 is
 * needed, and no ID decoded). Costs no false-alarm budget (the bound covers every valid codeword) and few decodes:
 * the positions that can still reach the sum are a small tail of each surface (none on unmarked input, where the
 * four best peaks are noise). ERASURE_MIN_Z keeps a codeword that shares the four clear tiles with the leaked ID
 * (about 2% of IDs have one: 5 x 2^14 x 2^-22) from being found on its fifth tile's noise when the leaked ID's own
 * fifth tile is weaker than the cut: about 2% x Q(2.5) = 1e-4 per marginal leak whose ID is not decoded, and such
 * a codeword names an issued ID only with probability (IDs issued) / 2^48.
 */
export function erasureDecode(
  surfaces: readonly Float64Array[],
  best: ReadonlyArray<{ shift: Shift; z: number }>,
  rx: number,
  ry: number,
  neededSum: number,
  decode: (shifts: readonly Shift[]) => bigint | null,
  found: Map<bigint, DecodedEntry>,
): void {
  if (best.length !== PAYLOAD_TILES || best.some((b) => b === undefined)) return;
  let total = 0;
  for (const b of best) total += b.z;
  const shifts = best.map((b) => b.shift);
  for (let e = 0; e < PAYLOAD_TILES; e++) {
    const rest = total - best[e].z;
    const need = Math.max(ERASURE_MIN_Z, neededSum - rest);
    if (need > best[e].z) continue;
    const surface = surfaces[e + 1];
    const positions: number[] = [];
    for (let i = 0; i < surface.length; i++) if (surface[i] >= need) positions.push(i);
    positions.sort((a, b) => surface[b] - surface[a]);
    for (const i of positions.slice(0, ERASURE_BUDGET)) {
      shifts[e] = shiftAt(i, rx, ry);
      const id = decode(shifts);
      const sum = rest + surface[i];
      if (id === null || (found.get(id)?.sum ?? -Infinity) >= sum) continue;
      const values = Float64Array.from(best, (b) => b.z);
      values[e] = surface[i];
      found.set(id, { sum, tiles: values, symbols: shifts.map(symbolOf) });
    }
    shifts[e] = best[e].shift;
  }
}

/** Values per block in `topPeaks`' first pass (its block maxima). */
const PEAK_BLOCK = 64;

/** The maximum of each PEAK_BLOCK values of `surface` (the last block may be shorter; -Infinity for a block of NaN). */
function blockMaxima(surface: Float64Array): Float64Array {
  const maxima = new Float64Array(Math.ceil(surface.length / PEAK_BLOCK));
  for (let b = 0; b < maxima.length; b++) {
    let m = -Infinity;
    const end = Math.min(surface.length, (b + 1) * PEAK_BLOCK);
    for (let i = b * PEAK_BLOCK; i < end; i++) if (surface[i] > m) m = surface[i];
    maxima[b] = m;
  }
  return maxima;
}

/**
 * The `count` highest peaks of a z surface, as shifts relative to the reference peak, suppressing neighbours: each
 * peak is the highest value not within one cell of an earlier one. One pass keeps the `count * 9` highest values (a
 * pick suppresses at most eight others, so the picks are among them), then picks greedily from those.
 */
export function topPeaks(surface: Float64Array, rx: number, ry: number, count: number): Array<{ shift: Shift; z: number }> {
  const keep = count * 9;
  // The highest values so far, by decreasing value (earlier index first among equals, as a full scan would pick).
  const values = new Float64Array(keep).fill(-Infinity);
  const indices = new Int32Array(keep).fill(-1);
  const insert = (v: number, i: number) => {
    let j = keep - 1;
    while (j > 0 && values[j - 1] < v) {
      values[j] = values[j - 1];
      indices[j] = indices[j - 1];
      j--;
    }
    values[j] = v;
    indices[j] = i;
  };
  // The keep-th highest block maximum is at most the keep-th highest value (each of those blocks holds a value as
  // high), so only blocks whose maximum reaches it can hold the highest values: in index order, the same picks. With
  // fewer blocks than picks, every block.
  const maxima = blockMaxima(surface);
  const blocks = maxima.length;
  const floor = blocks >= keep ? maxima.slice().sort()[blocks - keep] : -Infinity;
  for (let b = 0; b < blocks; b++) {
    if (!(maxima[b] >= floor)) continue;
    const end = Math.min(surface.length, (b + 1) * PEAK_BLOCK);
    for (let i = b * PEAK_BLOCK; i < end; i++) if (surface[i] > values[keep - 1]) insert(surface[i], i);
  }
  // A surface index is laid out as a symbol (y * CELLS + x), so nearSymbol tells neighbour cells, cyclically.
  const found: Array<{ index: number; z: number }> = [];
  for (let k = 0; k < keep && found.length < count; k++) {
    const index = indices[k];
    if (index < 0) break;
    if (!found.some((f) => nearSymbol(f.index, index))) found.push({ index, z: values[k] });
  }
  return found.map(({ index, z }) => ({ shift: shiftAt(index, rx, ry), z }));
}

/** The shift of surface position `index` (laid out as y * CELLS + x) from the reference peak at (rx, ry), cyclically. */
export function shiftAt(index: number, rx: number, ry: number): Shift {
  return { dx: ((index & (CELLS - 1)) - rx + CELLS) & (CELLS - 1), dy: ((index >> AXIS_BITS) - ry + CELLS) & (CELLS - 1) };
}

/** A binary max-heap of (code, key) pairs, for the list decoder's best-first enumeration. */
class MaxHeap {
  private readonly codes: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.codes.length;
  }

  push(code: number, key: number): void {
    const { codes, keys } = this;
    let i = codes.length;
    codes.push(code);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] >= key) break;
      codes[i] = codes[parent];
      keys[i] = keys[parent];
      i = parent;
    }
    codes[i] = code;
    keys[i] = key;
  }

  pop(): { code: number; key: number } {
    const { codes, keys } = this;
    const top = { code: codes[0], key: keys[0] };
    const lastCode = codes.pop()!;
    const lastKey = keys.pop()!;
    const n = codes.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && keys[child + 1] > keys[child]) child++;
        if (keys[child] <= lastKey) break;
        codes[i] = codes[child];
        keys[i] = keys[child];
        i = child;
      }
      codes[i] = lastCode;
      keys[i] = lastKey;
    }
    return top;
  }
}
