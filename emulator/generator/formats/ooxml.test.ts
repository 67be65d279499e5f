import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { TextGenerator, searchableKeyword } from '../text.js';
import { buildDocx, buildPptx, buildXlsx, columnName, xmlEscape } from './ooxml.js';

const workDir = mkdtempSync(join(tmpdir(), 'safehold-ooxml-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function writeTemp(name: string, data: Buffer): string {
  const path = join(workDir, name);
  writeFileSync(path, data);
  return path;
}

function toolExists(tool: string): boolean {
  return spawnSync('which', [tool], { stdio: 'ignore' }).status === 0;
}

// An independent reader using only Python's zipfile + ElementTree. Besides extracting text it
// checks the package wiring Office relies on: every XML part parses, every part has a content
// type, and every relationship target exists inside the zip.
const PYTHON_OOXML_READER = `
import sys, json, zipfile, posixpath
import xml.etree.ElementTree as ET
W = '{http://schemas.openxmlformats.org/wordprocessingml/2006/main}'
S = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
A = '{http://schemas.openxmlformats.org/drawingml/2006/main}'
P = '{http://schemas.openxmlformats.org/presentationml/2006/main}'
R = '{http://schemas.openxmlformats.org/officeDocument/2006/relationships}'
PR = '{http://schemas.openxmlformats.org/package/2006/relationships}'
CT = '{http://schemas.openxmlformats.org/package/2006/content-types}'
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
assert names[0] == '[Content_Types].xml', names[0]
assert z.testzip() is None
xml = {n: ET.fromstring(z.read(n)) for n in names if n.endswith('.xml') or n.endswith('.rels')}
types = xml['[Content_Types].xml']
defaults = {d.get('Extension') for d in types.iter(CT + 'Default')}
overrides = {o.get('PartName') for o in types.iter(CT + 'Override')}
for n in names:
    assert '/' + n in overrides or n.rsplit('.', 1)[-1] in defaults, 'no content type for ' + n
for o in overrides:
    assert o[1:] in names, 'override for missing part ' + o
def rels(part):
    d, f = posixpath.split(part)
    rp = posixpath.join(d, '_rels', f + '.rels')
    out = {}
    for r in xml[rp].iter(PR + 'Relationship'):
        target = posixpath.normpath(posixpath.join(d, r.get('Target')))
        assert target in names, 'dangling relationship %s -> %s' % (rp, target)
        out[r.get('Id')] = (r.get('Type').rsplit('/', 1)[-1], target)
    return out
for n in names:
    if n.endswith('.rels'):
        d, f = posixpath.split(n)
        rels(posixpath.join(posixpath.dirname(d), f[:-5]))
main = [t for (k, t) in rels('').values() if k == 'officeDocument'][0]
core = xml['docProps/core.xml']
result = {'dates': sorted({i.date_time for i in z.infolist()}),
          'title': core.findtext('{http://purl.org/dc/elements/1.1/}title'),
          'creator': core.findtext('{http://purl.org/dc/elements/1.1/}creator')}
def para_text(p, t_tag):
    out = ''
    for el in p.iter():
        if el.tag == t_tag: out += el.text or ''
        elif el.tag == W + 'tab': out += '\\t'
        elif el.tag == W + 'br': out += '\\n'
    return out
if main == 'word/document.xml':
    result['paragraphs'] = [para_text(p, W + 't') for p in xml[main].iter(W + 'p')]
elif main == 'xl/workbook.xml':
    sst = [''.join(t.text or '' for t in si.iter(S + 't')) for si in xml['xl/sharedStrings.xml'].iter(S + 'si')]
    wb_rels = rels(main)
    sheets = []
    for sh in xml[main].iter(S + 'sheet'):
        rows = []
        for row in xml[wb_rels[sh.get(R + 'id')][1]].iter(S + 'row'):
            cells = []
            for c in row.iter(S + 'c'):
                v = c.findtext(S + 'v')
                cells.append([c.get('r'), sst[int(v)] if c.get('t') == 's' else float(v)])
            rows.append(cells)
        sheets.append({'name': sh.get('name'), 'rows': rows})
    result['sheets'] = sheets
else:
    p_rels = rels(main)
    slides = []
    for sid in xml[main].iter(P + 'sldId'):
        part = p_rels[sid.get(R + 'id')][1]
        assert rels(part)['rId1'][0] == 'slideLayout'
        shapes = []
        for sp in xml[part].iter(P + 'sp'):
            ph = sp.find('.//' + P + 'ph')
            shapes.append({'ph': ph.get('type') or ph.get('idx'),
                           'paragraphs': [para_text(p, A + 't') for p in sp.iter(A + 'p')]})
        slides.append(shapes)
    result['slides'] = slides
    result['hasMasterLayoutTheme'] = all(p in names for p in ['ppt/slideMasters/slideMaster1.xml', 'ppt/slideLayouts/slideLayout1.xml', 'ppt/theme/theme1.xml'])
print(json.dumps(result, ensure_ascii=False))
`;

interface OoxmlReadout {
  dates: number[][];
  title: string | null;
  creator: string | null;
  paragraphs?: string[];
  sheets?: { name: string; rows: [string, string | number][][] }[];
  slides?: { ph: string; paragraphs: string[] }[][];
  hasMasterLayoutTheme?: boolean;
}

function inspect(name: string, data: Buffer): OoxmlReadout {
  const path = writeTemp(name, data);
  const unzip = spawnSync('unzip', ['-t', path], { encoding: 'utf8' });
  expect(
    unzip.status,
    `unzip -t failed (install unzip: apt-get install -y unzip)\n${unzip.stdout}${unzip.stderr}`,
  ).toBe(0);
  expect(unzip.stdout).toMatch(/No errors detected/);
  return JSON.parse(
    execFileSync('python3', ['-c', PYTHON_OOXML_READER, path], { encoding: 'utf8' }),
  ) as OoxmlReadout;
}

const tricky = 'Tom & Jerry <script>"quoted" \'single\' – Zoë 日本語 עברית 🚀';
const keyword = searchableKeyword(new Random('ooxml-keyword'));

describe('buildDocx', () => {
  it('produces a valid package whose paragraphs carry the input text', () => {
    const paragraphs = [
      ...new TextGenerator(new Random('docx')).paragraphs(5),
      tricky,
      `Find ${keyword} here`,
      'a\tb\nc',
    ];
    const docx = buildDocx({ title: 'Plan d’action – Q3', author: 'Søren Østergaard', paragraphs });
    const out = inspect('a.docx', docx);
    expect(out.paragraphs).toEqual(['Plan d’action – Q3', ...paragraphs]);
    expect(out.title).toBe('Plan d’action – Q3');
    expect(out.creator).toBe('Søren Østergaard');
    expect(out.dates).toEqual([[2020, 1, 1, 0, 0, 0]]);
    expect(buildDocx({ title: 'x', paragraphs }).equals(buildDocx({ title: 'x', paragraphs }))).toBe(true);
  });
});

describe('buildXlsx', () => {
  it('stores text as shared strings and numbers as numbers', () => {
    const rows: (string | number)[][] = [
      ['Region', 'Revenue', 'Note'],
      ['Nordic', 1234.5, tricky],
      ['Ångström', -42, keyword],
      ['Nordic', 0, 'repeated strings share one entry'],
    ];
    const wide = [Array.from({ length: 30 }, (_, i) => i)];
    const xlsx = buildXlsx({
      title: 'Budget',
      sheets: [
        { name: 'Summary', rows },
        { name: 'Wide/[bad]:name*that is far too long for excel', rows: wide },
        { name: 'summary', rows: [] },
      ],
    });
    const out = inspect('b.xlsx', xlsx);
    const [summary, wideSheet, duplicate] = out.sheets ?? [];
    expect(summary?.name).toBe('Summary');
    expect(summary?.rows).toEqual(rows.map((row, r) => row.map((v, c) => [`${columnName(c)}${r + 1}`, v])));
    expect(wideSheet?.name).toBe('Wide__bad__name_that is far too');
    expect(wideSheet?.rows[0]?.[29]).toEqual(['AD1', 29]);
    expect(duplicate?.name).toBe('summary (2)');
    // Shared strings are de-duplicated: "Nordic" appears once in the table.
    const raw = execFileSync('unzip', ['-p', writeTemp('c.xlsx', xlsx), 'xl/sharedStrings.xml'], {
      encoding: 'utf8',
    });
    expect(raw.match(/>Nordic</g)).toHaveLength(1);
    expect(raw).toMatch(/count="9" uniqueCount="8"/);
  });

  it('names columns like Excel', () => {
    expect([0, 25, 26, 51, 52, 701, 702].map(columnName)).toEqual(['A', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA']);
  });
});

describe('buildPptx', () => {
  it('includes master, layout and theme and carries slide titles and bullets', () => {
    const slides = [
      { title: 'Kickoff', bullets: ['Scope', tricky, keyword] },
      { title: 'Empty slide', bullets: [] },
      { title: 'Øresund – next steps', bullets: ['Line one', 'Line two'] },
    ];
    const out = inspect('c.pptx', buildPptx({ title: 'Deck', author: 'Zoë', slides }));
    expect(out.hasMasterLayoutTheme).toBe(true);
    expect(out.title).toBe('Deck');
    expect(out.slides).toEqual(
      slides.map((s) => [
        { ph: 'title', paragraphs: [s.title] },
        { ph: '1', paragraphs: s.bullets.length > 0 ? s.bullets : [''] },
      ]),
    );
  });

  it('still produces a valid package with no slides', () => {
    expect(inspect('d.pptx', buildPptx({ title: 'Empty', slides: [] })).slides).toEqual([]);
  });
});

describe('xmlEscape', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(xmlEscape('a<b>&"c"\u0001\u0000\uFFFE\uD800z\t')).toBe('a&lt;b&gt;&amp;&quot;c&quot;z\t');
    expect(xmlEscape('🚀')).toBe('🚀');
  });
});

// An independent reader: LibreOffice must open and convert each document (.ci/run installs it).
describe('LibreOffice round trip', () => {
  it('converts each document', () => {
    if (!toolExists('soffice')) {
      throw new Error(
        'LibreOffice is needed: apt-get install -y --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui',
      );
    }
    const inputs = [
      writeTemp('lo-docx.docx', buildDocx({ title: 'LibreOffice', paragraphs: [keyword] })),
      writeTemp(
        'lo-pptx.pptx',
        buildPptx({ title: 'LibreOffice', slides: [{ title: keyword, bullets: ['x'] }] }),
      ),
    ];
    const xlsx = writeTemp('lo.xlsx', buildXlsx({ sheets: [{ name: 'S', rows: [[keyword, 1]] }] }));
    const outDir = join(workDir, 'lo-out');
    execFileSync('soffice', ['--headless', '--convert-to', 'pdf', '--outdir', outDir, ...inputs], {
      stdio: 'ignore',
    });
    execFileSync('soffice', ['--headless', '--convert-to', 'csv', '--outdir', outDir, xlsx], {
      stdio: 'ignore',
    });
    expect(readdirSync(outDir).sort()).toEqual(['lo-docx.pdf', 'lo-pptx.pdf', 'lo.csv']);
    expect(readFileSync(join(outDir, 'lo.csv'), 'utf8')).toContain(keyword);
  });
});
