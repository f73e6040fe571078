/**
 * The investigator's report through the built CLI: a marked leak (candidate mode, with the ledger), an unmarked file
 * and a still screenshot. The JSON report is `extract --json` plus `report`; the command it gives reproduces the
 * analysis; the HTML is self-contained, and headless Chromium renders it with the verdict and the evidence plot.
 * REELMARK_UPDATE_SCREENSHOT=1 also copies the rendered screenshot to docs/report-example.png.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCUSATION_THRESHOLD, renderReportHtml } from '@reelmark/core';
import { ROOT, ffmpeg, makeClip, makeStill, reelmark, tempDir } from '../cli/helpers.js';
import { dumpDom, ensureChromium, screenshot } from './chromium.js';
import type { ChromiumSetup } from './chromium.js';
import { countColor, decodePng } from './png.js';

let dir: string;
let chromium: ChromiumSetup;
const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
const at = (name: string) => join(dir, name);
const run = (args: string[]) => reelmark(args, { cwd: dir, env: { REELMARK_LEDGER: undefined } });
/** The analysis of the marked leak, with absolute paths (as the report's reproducing command has them). */
const leakArgs = () => ['extract', at('leak.mp4'), '--key', at('studio.key'), '--registry', at('partners.json'), '--full-scan', '--ledger', at('deliveries.jsonl')];

beforeAll(async () => {
  dir = await tempDir('reelmark-report-');
  const setup = ensureChromium().then((c) => (chromium = c));
  await Promise.all([
    makeClip(at('master.mp4'), { width: 960, height: 540, seconds: 1.5, fps: 24 }),
    makeStill(at('still.png'), { width: 1280, height: 720 }),
    run(['keygen', '-o', 'studio.key']),
  ]);
  for (const name of ['acme-vfx', 'zeta-post', 'nova-dub']) expect((await run(['partner', 'add', name])).code).toBe(0);
  const [video, image] = await Promise.all([
    run(['embed', 'master.mp4', '-o', 'acme.mp4', '--key', 'studio.key', '--partner', 'acme-vfx', '--crf', '16', '--preset', 'veryfast']),
    run(['embed', 'still.png', '-o', 'still.zeta.png', '--key', 'studio.key', '--partner', 'zeta-post']),
  ]);
  expect(video.code, video.stderr).toBe(0);
  expect(image.code, image.stderr).toBe(0);
  // The leak: cropped, downscaled, re-encoded. The screenshot: a downscaled JPEG of the marked still.
  await Promise.all([
    ffmpeg(['-i', at('acme.mp4'), '-vf', 'crop=920:520:24:12,scale=768:432', '-c:v', 'libx264', '-crf', '26', '-preset', 'veryfast', '-an', at('leak.mp4')]),
    ffmpeg(['-i', at('still.zeta.png'), '-vf', 'scale=960:540', '-q:v', '3', at('screenshot.jpg')]),
  ]);
  await setup;
}, 420_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report on a marked leak', () => {
  let detection: Record<string, unknown> & { deliveries: Array<Record<string, any>> };
  let report: any;

  it('writes the JSON report: extract --json plus "report", whose command reproduces the analysis (HTML report)', async () => {
    const json = await run([...leakArgs(), '--report', 'leak-report.json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toContain('FOUND: ID 1 (partner acme-vfx)');
    expect(json.stdout).toContain(`report written to ${at('leak-report.json')}`);
    const { report: fields, ...rest } = JSON.parse(await readFile(at('leak-report.json'), 'utf8'));
    report = fields;
    expect(report.command).toEqual(['reelmark', ...leakArgs()]);
    expect(report.commandLine).toBe(report.command.join(' '));
    expect(report.workingDirectory).toBe(dir);

    // The command, run from another folder, gives the same analysis; this run writes the HTML report.
    const again = await reelmark([...report.command.slice(1), '--json', '--report', at('leak-report.html')], { cwd: ROOT });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe(`reelmark: report written to ${at('leak-report.html')}\n`);
    detection = JSON.parse(again.stdout);
    expect(rest).toEqual(detection);
    expect(detection).toMatchObject({ found: true, id: '1', partner: 'acme-vfx', mode: 'candidates' });
    expect(detection.falseAlarmProbability).toBeLessThan(ACCUSATION_THRESHOLD);
  });

  it('names the delivery from the ledger and says what the probability means', async () => {
    expect(detection.deliveries).toHaveLength(1);
    const delivery = detection.deliveries[0];
    expect(delivery).toMatchObject({ id: '1', partner: 'acme-vfx', title: 'master', output: { path: at('acme.mp4'), sha256: await sha256(at('acme.mp4')) } });
    expect(delivery.master.sha256).toBe(await sha256(at('master.mp4')));
    expect(report.format).toBe('reelmark-report');
    expect(report.verdict).toMatch(/^leak\.mp4 carries the watermark of the delivery of “master” to acme-vfx \(ID 1, acme\.mp4, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); the probability of a result this strong by chance is below 1 in 10\^\d+\.$/);
    const power = Math.floor(-(detection.log10FalseAlarmProbability as number));
    expect(report.probabilityInWords).toContain(`If this file carried no mark of this key, a result this strong would occur by chance less than once in 10^${power} analyses.`);
    expect(report.identicalToDelivery).toBe(false);
    expect(report.geometryInWords).toMatch(/^The picture is \d+\.\d% of the size of a 1080-line master/);
    expect(report.tools.ffmpeg).toMatch(/\S/);
    expect(report.tools.reelmark).toBe(detection.version);
    // The first look (12 frames) and the end; a look between them too when the first look locked the
    // synchronisation (p < 1e-6), which depends on the key (a new one each run).
    expect((detection.timeline as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect((detection.peak as { size: number; values: number[] }).values).toHaveLength(15 * 15);
    expect(detection.input).toMatchObject({ size: (await stat(at('leak.mp4'))).size, width: 768, height: 432 });
  });

  it('writes a self-contained page: verdict, charts, picture, no key, nothing fetched', async () => {
    const html = await readFile(at('leak-report.html'), 'utf8');
    expect(html).toContain('MARK FOUND');
    expect(html).toContain(`<p class="sentence" data-verdict>${report.verdict.replace(/10\^(\d+)/, '10<sup>$1</sup>')}</p>`);
    for (const chart of ['evidence', 'candidates', 'peak', 'peak-map']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).toMatch(/<polyline data-series="evidence" points="[\d., ]+"/);
    expect(html.match(/<rect data-accused="true"/g)).toHaveLength(1);
    expect(html.match(/<rect data-accused="false"/g)).toHaveLength(2);
    expect(html).toMatch(/<img src="data:image\/jpeg;base64,[A-Za-z0-9+/=]{1000,}"/);
    expect(html).toContain(detection.input && (detection.input as { sha256: string }).sha256);
    // Nothing is fetched when the page is viewed: no external source, link, stylesheet or script.
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).not.toMatch(/\s(src|href)="(?!data:)/);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:/);
    // The key id is shown; the key is not.
    const keyFile = JSON.parse(await readFile(at('studio.key'), 'utf8'));
    expect(html).toContain(keyFile.keyId);
    expect(html).not.toContain(keyFile.secret);
    expect(html).not.toContain(Buffer.from(keyFile.secret, 'base64').toString('hex'));
    expect(html).toMatch(/@media print/);
    // How the leak was read (--full-scan): 1.5 s, shorter than the dense window, so every frame.
    expect(html).toContain('no time limit, full scan (no early stop); every frame decoded');
  });

  it('says when an accusation was made at an earlier look than the last', async () => {
    // Each candidate carries the frame count of the look its evidence comes from.
    const candidates = detection.candidates as Array<{ id: string; accused: boolean; atFrames: number }>;
    for (const c of candidates) expect(c.atFrames).toBeLessThanOrEqual(detection.framesAnalyzed as number);
    const html = await readFile(at('leak-report.html'), 'utf8');
    const note = 'was accused at the look after';
    expect(html.includes(note)).toBe(candidates.some((c) => c.accused && c.atFrames < (detection.framesAnalyzed as number)));
    // The same report, its accusation moved to the first look, says so.
    const full = JSON.parse(await readFile(at('leak-report.json'), 'utf8'));
    const first = full.timeline[0].frames as number;
    full.candidates = full.candidates.map((c: { accused: boolean }) => (c.accused ? { ...c, atFrames: first } : c));
    const moved = renderReportHtml(full);
    expect(moved).toContain(`acme-vfx (ID 1) ${note} ${first} frames.`);
    // A report written before candidates carried atFrames renders without the sentence.
    full.candidates = full.candidates.map(({ atFrames: _atFrames, ...c }: { atFrames: number }) => c);
    expect(renderReportHtml(full)).not.toContain(note);
  });

  it('says where in the leak an accusation made on a part of it was found', async () => {
    // Real readings name parts only for splices (test/cli/batch.test.ts); here the report's accusation is moved to a
    // part, as a splice's later recipient is reported.
    const full = JSON.parse(await readFile(at('leak-report.json'), 'utf8'));
    const note = 'was named from a part of the leak read on its own';
    expect(renderReportHtml(full)).not.toContain(note);
    expect(full.candidates.every((c: { part: unknown }) => c.part === null)).toBe(true);
    expect(full.candidates.every((c: { accused: boolean; accusedOnWhole: boolean }) => c.accusedOnWhole === c.accused)).toBe(true);
    const part = { startFrame: 12, endFrame: 36, start: 0.5, end: 1.5 };
    full.candidates = full.candidates.map((c: { accused: boolean }) => (c.accused ? { ...c, part, accusedOnWhole: false } : c));
    expect(renderReportHtml(full)).toContain(`acme-vfx (ID 1) ${note}, 0.50 s to 1.50 s of the leak (analysed frames 13 to 36).`);
    // Named reading the leak from its start as well, with its strongest evidence on the part: said so.
    full.candidates = full.candidates.map((c: { accused: boolean }) => (c.accused ? { ...c, accusedOnWhole: true } : c));
    const both = renderReportHtml(full);
    expect(both).not.toContain(note);
    expect(both).toContain('acme-vfx (ID 1) is named reading the leak from its first frame, and its evidence is strongest in a part of the leak read on its own, 0.50 s to 1.50 s of the leak (analysed frames 13 to 36)');
    // A report written before candidates carried `accusedOnWhole` gave a part only when named only there.
    full.candidates = full.candidates.map(({ accusedOnWhole: _whole, ...c }: { accusedOnWhole: unknown }) => c);
    expect(renderReportHtml(full)).toContain(`acme-vfx (ID 1) ${note}`);
    // A report written before candidates carried parts renders without it.
    full.candidates = full.candidates.map(({ part: _part, ...c }: { part: unknown }) => c);
    expect(renderReportHtml(full)).not.toContain(note);
  });

  it('refuses to replace a report without --overwrite, before any analysis', async () => {
    const before = await readFile(at('leak-report.html'), 'utf8');
    const refused = await run([...leakArgs(), '--report', 'leak-report.html']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('reelmark: leak-report.html: file exists (pass --overwrite to replace it)\n');
    expect(refused.stdout).toBe('');
    expect(await readFile(at('leak-report.html'), 'utf8')).toBe(before);
    // Checked before anything else: with a missing input, the existing report is still what is reported.
    const first = await run(['extract', 'no-such-leak.mp4', '--key', 'studio.key', '--report', 'leak-report.html']);
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/leak-report\.html: file exists/);

    const badExtension = await run([...leakArgs(), '--report', 'leak-report.pdf']);
    expect(badExtension.code).toBe(2);
    expect(badExtension.stderr).toMatch(/Expected a report file ending in \.html, \.htm or \.json but received 'leak-report\.pdf'/);
    const stray = await run([...leakArgs(), '--overwrite']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--overwrite is only used with --report/);
  });
});

describe('report on an unmarked file', () => {
  it('says that no one is accused (exit 3), replacing an old report with --overwrite', async () => {
    await writeFile(at('unmarked.html'), 'an old report');
    const result = await run(['extract', 'master.mp4', '--key', 'studio.key', '--registry', 'partners.json', '--max-seconds', '0.5', '--json', '--report', 'unmarked.html', '--overwrite']);
    expect(result.code, result.stderr).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ found: false, id: null, partner: null, deliveries: null, ledger: null, framesAnalyzed: 12 });
    const page = await readFile(at('unmarked.html'), 'utf8');
    expect(page).toContain('NO MARK FOUND');
    expect(page).toMatch(
      /No watermark of key [0-9a-f]+ was found in master\.mp4: the strongest evidence \(false-alarm probability [^)]+\) does not reach the accusation threshold of 1 in 10<sup>9<\/sup>, so no one is accused\./,
    );
    expect(page).toMatch(/This is no evidence of a mark of this key\.|may settle it\./);
    expect(page).toContain('No delivery ledger was consulted. Run the analysis with');
    expect(page).toContain('data-chart="candidates"');
    expect(page).toContain('data-chart="peak"');
    expect(page.match(/<rect data-accused="true"/g)).toBeNull();
    expect(page).not.toContain('id="geometry"');
  });
});

describe('report on a still screenshot', () => {
  it('shows the picture analysed and the delivery of the still', async () => {
    const result = await run(['extract', 'screenshot.jpg', '--key', 'studio.key', '--registry', 'partners.json', '--ledger', 'deliveries.jsonl', '--report', 'still.html']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('FOUND: ID 2 (partner zeta-post)');
    const page = await readFile(at('still.html'), 'utf8');
    expect(page).toMatch(/carries the watermark of the delivery of “still” to zeta-post \(ID 2, still\.zeta\.png,/);
    expect(page).toContain('A still image is a single frame');
    expect(page).not.toContain('data-chart="evidence"');
    const match = /<img src="data:image\/jpeg;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)"/.exec(page);
    expect(match).not.toBeNull();
    const jpeg = Buffer.from(match![1], 'base64');
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect([Number(match![2]), Number(match![3])]).toEqual([480, 270]);
    // The JPEG's own frame header says the same size.
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    expect([jpeg.readUInt16BE(sof + 7), jpeg.readUInt16BE(sof + 5)]).toEqual([480, 270]);
    expect(page).toContain('The image analysed, reduced to 480 × 270.');
  });
});

describe('the HTML report in a browser', () => {
  it('renders the verdict and the evidence plot in headless Chromium', async (context) => {
    if ('skip' in chromium) {
      console.warn(`skipping the Chromium rendering test: ${chromium.skip}`);
      context.skip();
      return;
    }
    const page = at('leak-report.html');
    const dom = await dumpDom(chromium.path, page);
    expect(dom).toContain('MARK FOUND');
    expect(dom).toMatch(/leak\.mp4 carries the watermark of the delivery of “master” to acme-vfx/);
    expect(dom).toMatch(/<svg data-chart="evidence"[^>]*>[\s\S]*<polyline data-series="evidence"/);

    const png = at('report.png');
    await screenshot(chromium.path, page, png, 1200, 2000);
    const image = decodePng(await readFile(png));
    expect([image.width, image.height]).toEqual([1200, 2000]);
    // The evidence line (#1f5fbf, 3 px wide) is drawn within the first screen.
    expect(countColor(image, '#1f5fbf', 10)).toBeGreaterThan(1500);
    // The verdict box's red rule and badge.
    expect(countColor(image, '#b03a2e', 10)).toBeGreaterThan(1000);
    if (process.env.REELMARK_UPDATE_SCREENSHOT === '1') await copyFile(png, join(ROOT, 'docs', 'report-example.png'));
  });
});
