import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { TextGenerator, searchableKeyword } from '../text.js';
import { buildPdf, toWinAnsi } from './pdf.js';

function hasPdftotext(): boolean {
  try {
    execFileSync('which', ['pdftotext'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs a poppler tool on stdin; poppler reports syntax problems on stderr, so that must be empty. */
function poppler(tool: 'pdftotext' | 'pdfinfo', pdf: Buffer, args: string[]): string {
  const result = spawnSync(tool, ['-enc', 'UTF-8', ...args], { input: pdf, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout;
}

const pdftotext = (pdf: Buffer) => poppler('pdftotext', pdf, ['-', '-']);

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

function sampleDoc() {
  const random = new Random('pdf-test');
  const text = new TextGenerator(random);
  const keyword = searchableKeyword(random);
  const paragraphs = text.paragraphs(40);
  paragraphs[3] = `The code word is ${keyword} (keep it secret) \\ backslash.`;
  paragraphs.push('Ünïcödé “quotes” – €5 and 日本語 text');
  return { title: 'Quarterly Budget Review – Zoë', author: 'Zoë Müller', paragraphs, keyword };
}

describe('buildPdf', () => {
  it('has a header, an xref whose offsets point at each object, and a trailer', () => {
    const pdf = buildPdf(sampleDoc());
    const raw = pdf.toString('latin1');
    expect(raw.startsWith('%PDF-1.4\n')).toBe(true);
    expect(raw.endsWith('%%EOF\n')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(raw)?.[1]);
    expect(raw.slice(startxref, startxref + 5)).toBe('xref\n');
    const header = /^xref\n0 (\d+)\n/.exec(raw.slice(startxref));
    const count = Number(header?.[1]);
    expect(count).toBeGreaterThan(6);
    const entriesStart = startxref + (header?.[0].length ?? 0);
    expect(raw.slice(entriesStart, entriesStart + 20)).toBe('0000000000 65535 f \n');
    for (let n = 1; n < count; n++) {
      const entry = raw.slice(entriesStart + n * 20, entriesStart + (n + 1) * 20);
      expect(entry).toMatch(/^\d{10} 00000 n \n$/);
      const offset = Number(entry.slice(0, 10));
      expect(raw.slice(offset, offset + `${n} 0 obj\n`.length)).toBe(`${n} 0 obj\n`);
    }
    expect(raw).toMatch(
      new RegExp(
        `trailer\\n<< /Size ${count} /Root 1 0 R /Info 5 0 R /ID \\[<[0-9A-F]{32}> <[0-9A-F]{32}>\\] >>`,
      ),
    );
    // Every stream's /Length matches the bytes between "stream\n" and "endstream".
    for (const m of raw.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
      const start = (m.index ?? 0) + m[0].length;
      expect(raw.slice(start + Number(m[1]), start + Number(m[1]) + 9)).toBe('endstream');
    }
  });

  it('is deterministic', () => {
    expect(buildPdf(sampleDoc()).equals(buildPdf(sampleDoc()))).toBe(true);
  });

  it('replaces characters outside WinAnsi with "?"', () => {
    expect(toWinAnsi('Zoë € 日本 🚀')).toBe('Zo\xeb \x80 ?? ?');
  });

  it('extracts with pdftotext: all text, several pages, title and author metadata', () => {
    if (!hasPdftotext()) {
      throw new Error('pdftotext not found; install poppler-utils: apt-get install -y poppler-utils');
    }
    const doc = sampleDoc();
    const pdf = buildPdf(doc);
    const text = squash(pdftotext(pdf));
    expect(text).toContain(squash(doc.title));
    expect(text).toContain(doc.keyword);
    for (const paragraph of doc.paragraphs) {
      expect(text).toContain(squash(paragraph.replace('日本語', '???')));
    }
    const info = poppler('pdfinfo', pdf, ['-']);
    expect(info).toMatch(/^Title:\s+Quarterly Budget Review – Zoë$/m);
    expect(info).toMatch(/^Author:\s+Zoë Müller$/m);
    expect(Number(/^Pages:\s+(\d+)$/m.exec(info)?.[1])).toBeGreaterThan(1);
  });

  it('handles an empty document and very long words', () => {
    if (!hasPdftotext()) {
      throw new Error('pdftotext not found; install poppler-utils: apt-get install -y poppler-utils');
    }
    const empty = buildPdf({ title: '', paragraphs: [] });
    expect(squash(pdftotext(empty))).toBe('');
    const longWord = 'x'.repeat(500);
    const text = pdftotext(buildPdf({ title: 'Long', paragraphs: [longWord] }));
    expect(text.replace(/\s+/g, '')).toContain(longWord);
  });
});
