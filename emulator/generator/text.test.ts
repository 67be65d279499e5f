import { describe, expect, it } from 'vitest';
import { Random } from './random.js';
import { TextGenerator, searchableKeyword } from './text.js';

const generator = (seed: string) => new TextGenerator(new Random(seed));

describe('TextGenerator', () => {
  it('is deterministic for a seed', () => {
    const run = (seed: string) => {
      const g = generator(seed);
      return [
        g.word(),
        g.sentence(),
        g.paragraph(),
        g.title(),
        JSON.stringify(g.personName()),
        g.fileName('docx'),
      ];
    };
    expect(run('s1')).toEqual(run('s1'));
    expect(run('s1')).not.toEqual(run('s2'));
  });

  it('builds sentences within the requested word range', () => {
    const g = generator('sentences');
    for (let i = 0; i < 200; i++) {
      const sentence = g.sentence(3, 5);
      expect(sentence).toMatch(/^[A-Z].*[.?!]$/);
      const count = sentence.split(' ').length;
      expect(count).toBeGreaterThanOrEqual(3);
      expect(count).toBeLessThanOrEqual(5);
    }
    expect(
      generator('p')
        .paragraph(4)
        .match(/[.?!](?= |$)/g),
    ).toHaveLength(4);
    expect(generator('p').paragraphs(3)).toHaveLength(3);
    expect(generator('t').title(3)).toMatch(/^[A-Z][^ ]* [A-Z][^ ]* [A-Z][^ ]*$/);
  });

  it('has a large vocabulary and varied, partly non-ASCII and right-to-left names', () => {
    const g = generator('variety');
    const words = new Set(Array.from({ length: 5000 }, () => g.word()));
    expect(words.size).toBeGreaterThan(250);
    const names = Array.from({ length: 2000 }, () => g.personName());
    const full = names.map((n) => `${n.given} ${n.surname}`);
    expect(new Set(full).size).toBeGreaterThan(1000);
    expect(full.some((n) => /[\u0080-\uffff]/.test(n))).toBe(true);
    expect(full.some((n) => /[\u0590-\u05ff\u0600-\u06ff]/.test(n))).toBe(true); // Hebrew / Arabic
    expect(full.some((n) => /[\u4e00-\u9fff\u3040-\u30ff]/.test(n))).toBe(true); // Chinese / Japanese
    expect(g.companyWord().length).toBeGreaterThan(0);
  });

  it('makes realistic file names, some with unicode, emoji or RTL text, never with forbidden characters', () => {
    const g = generator('files');
    const names = Array.from({ length: 2000 }, () => g.fileName('xlsx'));
    for (const name of names) {
      expect(name).toMatch(/\.xlsx$/);
      expect(name).not.toMatch(/[\\/:*?"<>|]/);
      expect(name.trim()).toBe(name);
    }
    expect(names.some((n) => /\p{Extended_Pictographic}/u.test(n))).toBe(true);
    expect(names.some((n) => /[\u0590-\u05ff\u0600-\u06ff]/.test(n))).toBe(true);
    expect(names.some((n) => /^[\x20-\x7e]+$/.test(n))).toBe(true);
    expect(new Set(names).size).toBeGreaterThan(500);
  });
});

describe('searchableKeyword', () => {
  it('is a rare made-up token that never collides with the vocabulary', () => {
    const random = new Random('kw');
    const keywords = Array.from({ length: 100 }, () => searchableKeyword(random));
    for (const k of keywords) expect(k).toMatch(/^[a-z]+-\d{4}$/);
    expect(new Set(keywords).size).toBeGreaterThan(95);
    const g = generator('vocab');
    const text = Array.from({ length: 200 }, () => g.paragraph()).join(' ');
    for (const k of keywords) expect(text).not.toContain(k.split('-')[0]);
  });
});
