import { describe, expect, test } from 'vitest';
import type { Detection } from '../../packages/core/src/api/detection.js';
import { markWithoutId, probabilityInWords, verdictSentence } from '../../packages/core/src/report/model.js';

/** An unaccused detection, as far as the report's sentences read it. */
function notFound(options: { log10p: number; syncP?: number | null; mode?: 'candidates' | 'decoded' }): Detection {
  const { log10p, syncP, mode = 'decoded' } = options;
  const sync = { scale: 0.444, scaleX: 0.444, scaleY: 0.444, offsetX: 299.9, offsetY: 316.9, periodX: 341.3, periodY: 341.3, mirrored: false, rotation: 0, z: 6.941 };
  return {
    found: false,
    log10FalseAlarmProbability: log10p,
    accusationThreshold: 1e-9,
    keyId: '1c074adb8a88bc0a',
    mode,
    input: { path: '/leaks/leak.mp4' },
    // null: nothing synchronised; undefined: a report saved before the sync's probability was recorded.
    sync: syncP === undefined ? sync : syncP === null ? null : { ...sync, falseAlarmProbability: syncP },
  } as unknown as Detection;
}

describe("the report's verdict when no one is accused", () => {
  test('no mark at all: says so', () => {
    const d = notFound({ log10p: 0, syncP: null });
    expect(markWithoutId(d)).toBeNull();
    expect(verdictSentence(d)).toMatch(/^No watermark of key 1c074adb8a88bc0a was found in leak\.mp4/);
    expect(probabilityInWords(d)).toContain('This is no evidence of a mark of this key.');
  });

  test("the key's synchronisation pattern without an ID: the mark is there, whose is not known, and what may settle it", () => {
    const d = notFound({ log10p: 0, syncP: 2.69e-4 });
    expect(markWithoutId(d)).toBeCloseTo(Math.log10(2.69e-4), 9);
    expect(verdictSentence(d)).toBe(
      "No recipient's ID could be read from leak.mp4, although the synchronisation pattern that every copy marked with key 1c074adb8a88bc0a " +
        'carries was found there (false-alarm probability 2.7e-4): the evidence for any one ID (false-alarm probability 1) does not reach the ' +
        'accusation threshold of 1 in 10^9, so no one is accused.',
    );
    const words = probabilityInWords(d);
    expect(words).not.toContain('no evidence of a mark');
    expect(words).toContain('would show this strongly in a file without it less than once in 10^3 analyses');
    expect(words).toContain('Scoring only the IDs actually issued (--ledger, --registry or --candidates)');
    expect(probabilityInWords(notFound({ log10p: 0, syncP: 2.69e-4, mode: 'candidates' }))).toContain('Analysing more of the leak may settle it.');
  });

  test('a report saved before the synchronisation probability was recorded reads as before', () => {
    const d = notFound({ log10p: 0 });
    expect(markWithoutId(d)).toBeNull();
    expect(verdictSentence(d)).toMatch(/^No watermark of key/);
  });
});
