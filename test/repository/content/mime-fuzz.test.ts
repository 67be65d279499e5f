import { describe, expect, it } from 'vitest';
import { Random } from '../../../emulator/generator/random.js';
import { bytes, roundTrip, multipart, attachmentPart, generate } from './mime-support.js';

describe('splitMime fuzzing', () => {
  it('renders every mutation of real messages back exactly', () => {
    const random = new Random('mime-fuzz');
    const bases: Buffer[] = [];
    for (let i = 0; i < 24; i++) {
      const { mime } = generate(random);
      bases.push(mime.length > 400_000 ? mime.subarray(0, 400_000) : mime);
    }
    bases.push(
      multipart([attachmentPart(bytes('f1', 6000), 64, '\n'), attachmentPart(bytes('f2', 5000))], 'fz'),
    );
    const inserts = [
      '\r',
      '\n',
      '\r\n',
      '-',
      '--',
      '=',
      ' ',
      '\t',
      'A',
      ':',
      '\u0080',
      '\u00ff',
      '\u0000',
      '"',
      ';',
    ];
    const mutate = (input: Buffer): Buffer => {
      let m = input;
      for (let k = random.int(1, 6); k > 0; k--) {
        const at = random.int(0, m.length);
        switch (random.int(0, 7)) {
          case 0: {
            // flip a byte
            if (m.length === 0) break;
            m = Buffer.from(m);
            m[Math.min(at, m.length - 1)] = random.int(0, 255);
            break;
          }
          case 1:
            m = Buffer.concat([
              m.subarray(0, at),
              Buffer.from(random.pick(inserts), 'latin1'),
              m.subarray(at),
            ]);
            break;
          case 2:
            m = Buffer.concat([m.subarray(0, at), m.subarray(Math.min(m.length, at + random.int(1, 300)))]);
            break;
          case 3: {
            // duplicate a range (often a delimiter or header line)
            const len = random.int(1, 200);
            m = Buffer.concat([m.subarray(0, at), m.subarray(at, at + len), m.subarray(at)]);
            break;
          }
          case 4:
            m = m.subarray(0, at);
            break;
          case 5: {
            // line endings of a region changed
            const end = Math.min(m.length, at + random.int(100, 20_000));
            const region = m.toString('latin1', at, end).replace(/\r\n/g, random.bool() ? '\n' : '\r');
            m = Buffer.concat([m.subarray(0, at), Buffer.from(region, 'latin1'), m.subarray(end)]);
            break;
          }
          case 6: {
            // a line copied from elsewhere (delimiters, headers) inserted at a line start
            const text = m.toString('latin1');
            const from = text.indexOf('\n', random.int(0, m.length));
            const to = from < 0 ? -1 : text.indexOf('\n', from + 1);
            const lineStart = text.indexOf('\n', at);
            if (from >= 0 && to > from && lineStart >= 0) {
              m = Buffer.concat([
                m.subarray(0, lineStart + 1),
                m.subarray(from + 1, to + 1),
                m.subarray(lineStart + 1),
              ]);
            }
            break;
          }
          default: {
            // random bytes
            m = Buffer.concat([m.subarray(0, at), random.bytes(random.int(1, 64)), m.subarray(at)]);
          }
        }
      }
      return m;
    };
    let split = 0;
    for (let n = 0; n < 2500; n++) {
      const mutated = mutate(random.pick(bases));
      const segments = roundTrip(mutated, { minDecodedSize: random.pick([0, 1, 100, 4096]) });
      if (segments.some((s) => s.kind === 'base64')) split++;
    }
    // Most mutations leave some attachment intact.
    expect(split).toBeGreaterThan(1000);
  });
});
