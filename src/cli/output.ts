/** How a command talks back: one JSON document with --json, readable lines otherwise. */
export interface Output {
  json: boolean;
  /** The command's result: printed as JSON, or through `human` for a person. */
  result(value: unknown, human?: (value: unknown) => string): void;
  /** Progress and notes for a person (stderr, never in --json mode's stdout). */
  info(line: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
      else process.stdout.write(`${human ? human(value) : JSON.stringify(value, null, 2)}\n`);
    },
    info(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

/** Exit codes every command uses. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** An error the user can act on: printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** A failure whose result the command has already printed (e.g. check's problems): only the exit code is left to give. */
export class ReportedFailure extends UserError {}
