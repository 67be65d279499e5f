import { delta, GraphError, type GraphClient } from '../../graph/index.js';

/** Counts by kind, e.g. `mail.messages`. */
export type Counts = Record<string, number>;

export interface Warning {
  scope: string;
  message: string;
}

/** What every part of the crawl shares: the client, the tallies and the warnings. */
export class CrawlContext {
  readonly counts: Counts = {};
  readonly warnings: Warning[] = [];

  constructor(
    readonly client: GraphClient,
    readonly concurrency: number,
    readonly signal?: AbortSignal,
  ) {}

  add(key: string, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }

  warn(scope: string, e: unknown): void {
    this.warnings.push({ scope, message: e instanceof Error ? e.message : String(e) });
  }

  /** Runs one delta round to the end, handing each page's items to `onItems`. */
  async deltaRound<T = Record<string, unknown>>(
    start: string,
    onItems: (items: T[]) => void,
    headers?: Record<string, string>,
  ): Promise<string> {
    let link = '';
    for await (const page of delta<T>(this.client, start, {
      ...(headers ? { headers } : {}),
      ...(this.signal ? { signal: this.signal } : {}),
    })) {
      onItems(page.value);
      if (page.deltaLink) link = page.deltaLink;
    }
    return link;
  }
}

/** A 404 that means "this account has no such service" rather than a failure. */
export function isAbsent(e: unknown): boolean {
  return (
    e instanceof GraphError &&
    (e.status === 404 || e.hasCode('MailboxNotEnabledForRESTAPI') || e.hasCode('ResourceNotFound'))
  );
}
