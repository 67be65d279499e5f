import { UserError } from '../output.js';

/** Whether a passphrase can be asked for: only a person at a terminal can answer. */
export function canPrompt(): boolean {
  return !!process.stdin.isTTY && typeof process.stdin.setRawMode === 'function';
}

/**
 * Asks for a secret on the terminal without echoing it (the question goes to stderr so that
 * stdout stays one JSON document). Ctrl-C or Ctrl-D on an empty line cancels.
 */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the question shows: whatever is typed after it must not appear.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (text: string): void => {
      // Pasted text arrives in one chunk: take it character by character.
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && value === ''))
          return finish(new UserError('cancelled: no passphrase entered'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015')
          value = ''; // Ctrl-U clears the line
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Asks twice and insists both answers match (a typo would lock the data away for good). */
export async function promptNewPassphrase(what: string): Promise<string> {
  const first = await promptHidden(`${what}: `);
  if (first === '') throw new UserError('the passphrase must not be empty');
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new UserError('the two passphrases differ; nothing was changed');
  return first;
}
