import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Detection } from '../../packages/core/src/api/detection.js';
import { renderReportHtml } from '../../packages/core/src/report/html.js';
import { markWithoutId, probabilityInWords, verdictSentence, type ReportJSON } from '../../packages/core/src/report/model.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

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
      "No recipient's ID could be read from leak.mp4. The synchronisation pattern that every copy marked with key 1c074adb8a88bc0a " +
        'carries is indicated there (false-alarm probability at most 2.7e-4), but the evidence for any one ID (false-alarm probability 1) does ' +
        'not reach the accusation threshold of 1 in 10^9, so no one is accused.',
    );
    const words = probabilityInWords(d);
    expect(words).not.toContain('no evidence of a mark');
    expect(words).toContain('would show this strongly in a file without it less than once in 10^3 analyses');
    expect(words).toContain('may be the source, short of proof');
    expect(words).toContain('Scoring only the IDs actually issued (--ledger, --registry or --candidates)');
    expect(probabilityInWords(notFound({ log10p: 0, syncP: 2.69e-4, mode: 'candidates' }))).toContain('Analysing more of the leak may settle it.');
  });

  test('a report saved before the synchronisation probability was recorded reads as before', () => {
    const d = notFound({ log10p: 0 });
    expect(markWithoutId(d)).toBeNull();
    expect(verdictSentence(d)).toMatch(/^No watermark of key/);
  });
});

describe("the HTML report when only the key's synchronisation pattern was found", () => {
  // `reelmark extract chain-credits-leak.mp4 --key K --report mark-only-report.json` on the bench's 480p chain leak
  // of the credits clip, 2 s, key 4, read blind (paths under /cases/): the pattern at p 2.7e-4, no ID.
  const saved = (): ReportJSON => JSON.parse(readFileSync(join(FIXTURES, 'mark-only-report.json'), 'utf8'));

  test('says no one is accused and shows the pattern and the geometry it gave, with its probability', () => {
    const page = renderReportHtml(saved());
    expect(page).toContain('<title>reelmark report: chain-credits-leak.mp4: no ID accused (the key&#39;s synchronisation pattern indicated)</title>');
    expect(page).toMatch(/<section id="verdict" class="verdict mark-only">\s*<span class="badge">NO ID ACCUSED<\/span>/);
    expect(page).toContain('correlates with the leak at one position and scale');
    expect(page).toContain('<section id="geometry">');
    expect(page).toContain('z 6.94, false-alarm probability at most 2.7e-4');
    expect(page).not.toContain('NO MARK FOUND');
  });

  test('a long candidate list (a ledger\'s) is shortened in the page\'s command, and kept whole in the JSON', () => {
    const withList = (count: number) => {
      const r = saved();
      const ids = Array.from({ length: count }, (_, i) => String(1000 + i));
      r.report.command = [...r.report.command, '--candidates', ids.join(',')];
      r.report.commandLine = r.report.command.join(' ');
      return renderReportHtml(r);
    };
    const short = withList(50);
    expect(short).toContain(`--candidates ${Array.from({ length: 50 }, (_, i) => 1000 + i).join(',')}</pre>`);
    expect(short).not.toContain('shortened here');
    const long = withList(5000);
    expect(long).toContain(`--candidates &#39;${Array.from({ length: 50 }, (_, i) => 1000 + i).join(',')},…(5000 IDs in all)&#39;</pre>`);
    expect(long).toContain("The candidate list is shortened here; the JSON report's <code>report.command</code> holds it whole.");
    expect(long).not.toContain('1050,');
  });

  test('a report saved before the pattern\'s probability was recorded renders as it did: no mark, no geometry', () => {
    const old = saved();
    delete (old.sync as { falseAlarmProbability?: number }).falseAlarmProbability;
    old.report.geometryInWords = null;
    const page = renderReportHtml(old);
    expect(page).toMatch(/<section id="verdict" class="verdict not-found">\s*<span class="badge">NO MARK FOUND<\/span>/);
    expect(page).toContain('No position stands out');
    expect(page).not.toContain('<section id="geometry">');
  });
});
