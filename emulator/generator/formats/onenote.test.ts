import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { buildOneNoteSection, guidToBytesLE } from './onenote.js';

describe('buildOneNoteSection', () => {
  it('starts with the .one file-type GUID in its on-disk byte order', () => {
    const one = buildOneNoteSection(new Random('one'), 'Meeting notes');
    expect(one.subarray(0, 16).toString('hex')).toBe('e4525c7b8cd8a74daeb15378d02996d3');
    // guidLegacyFileVersion is zero and guidFileFormat follows it.
    expect(one.subarray(32, 48).equals(Buffer.alloc(16))).toBe(true);
    expect(one.subarray(48, 64).equals(guidToBytesLE('{109ADD3F-911B-49F5-A5D0-1791EDC8AED8}'))).toBe(true);
    expect(one.readUInt32LE(64)).toBe(0x2a);
  });

  it('embeds the title in UTF-16LE', () => {
    const title = 'Søren’s notebook – 会议记录 🚀';
    const one = buildOneNoteSection(new Random('one'), title);
    expect(one.includes(Buffer.from(title, 'utf16le'))).toBe(true);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = buildOneNoteSection(new Random('one', 1), 'T');
    expect(a.equals(buildOneNoteSection(new Random('one', 1), 'T'))).toBe(true);
    expect(a.equals(buildOneNoteSection(new Random('one', 2), 'T'))).toBe(false);
    expect(a.length).toBeGreaterThan(1024);
  });
});
