/**
 * Payload tile symbols: a tile's cyclic shift (dx, dy) as one 14-bit number, dy * CELLS + dx, and which symbols are
 * neighbours (a correlation peak spills into the cells around it).
 */
import { AXIS_BITS, CELLS, type Shift } from './pattern.js';

/** A shift's 14-bit symbol, dy * CELLS + dx (each wrapped into 0..CELLS - 1). */
export function symbolOf(shift: Shift): number {
  return (shift.dy & (CELLS - 1)) * CELLS + (shift.dx & (CELLS - 1));
}

/** The shift of a 14-bit symbol (`symbolOf`'s inverse). */
export function shiftOf(symbol: number): Shift {
  return { dx: symbol & (CELLS - 1), dy: symbol >> AXIS_BITS };
}

/** Whether two symbols are the same cell or neighbours (within one cell on both axes, cyclically). */
export function nearSymbol(a: number, b: number): boolean {
  const dx = ((a & (CELLS - 1)) - (b & (CELLS - 1))) & (CELLS - 1);
  const dy = ((a >> AXIS_BITS) - (b >> AXIS_BITS)) & (CELLS - 1);
  return (dx <= 1 || dx === CELLS - 1) && (dy <= 1 || dy === CELLS - 1);
}

/** A symbol and its eight neighbour cells. */
export function nearSymbols(symbol: number): number[] {
  const x = symbol & (CELLS - 1);
  const y = symbol >> AXIS_BITS;
  const out: number[] = [];
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) out.push(((y + dy) & (CELLS - 1)) * CELLS + ((x + dx) & (CELLS - 1)));
  return out;
}
