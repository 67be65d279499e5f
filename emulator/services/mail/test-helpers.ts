import { execFileSync } from 'node:child_process';

/** Helpers for the mail contract tests (plain Graph calls only); not used by the emulator itself. */

/* eslint-disable @typescript-eslint/no-explicit-any */
interface RawGraph {
  get(path: string): Promise<{ status: number; json: any }>;
  all(path: string): Promise<{ items: Record<string, any>[] }>;
}

export interface TestUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
}

/** Users with a mailbox: those whose Inbox answers (Graph has no direct flag). */
export async function mailboxUsers(raw: RawGraph): Promise<TestUser[]> {
  const { items } = await raw.all('/v1.0/users?$top=999');
  const out: TestUser[] = [];
  for (const u of items as TestUser[]) {
    const r = await raw.get(`/v1.0/users/${u.id}/mailFolders/inbox`);
    if (r.status === 200) out.push(u);
  }
  return out;
}

/** Every folder of a mailbox below msgfolderroot, hidden ones included, by walking childFolders. */
export async function allFolders(raw: RawGraph, user: string): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  const queue = [`/v1.0/users/${user}/mailFolders?includeHiddenFolders=true&$top=100`];
  while (queue.length) {
    const { items } = await raw.all(queue.shift() as string);
    for (const f of items) {
      out.push(f);
      if (f.childFolderCount > 0)
        queue.push(
          `/v1.0/users/${user}/mailFolders/${encodeURIComponent(String(f.id))}/childFolders?includeHiddenFolders=true&$top=100`,
        );
    }
  }
  return out;
}

export interface PythonMimeReport {
  subject: string;
  from: string;
  parts: {
    contentType: string;
    filename: string | null;
    size: number;
    sha256: string;
    disposition: string | null;
  }[];
  defects: number;
}

/** Parses MIME with Python's `email` package (policy=default) and reports its parts. */
export function parseWithPython(mime: Buffer): PythonMimeReport {
  const script = `
import sys, json, hashlib, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
parts = []
defects = len(msg.defects)
for part in msg.walk():
    defects += len(part.defects)
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True)
    if part.get_content_type() == 'message/rfc822':
        payload = part.get_payload()[0].as_bytes() if isinstance(part.get_payload(), list) else payload
    payload = payload or b''
    parts.append({'contentType': part.get_content_type(), 'filename': part.get_filename(), 'size': len(payload),
                  'sha256': hashlib.sha256(payload).hexdigest(), 'disposition': part.get_content_disposition()})
print(json.dumps({'subject': str(msg['subject']), 'from': str(msg['from']), 'parts': parts, 'defects': defects}))
`;
  const out = execFileSync('python3', ['-c', script], { input: mime, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.toString('utf8')) as PythonMimeReport;
}

/** Whether the text occurs in a file: raw bytes (PDF text streams, TXT) or any XML part of an OOXML zip. */
export function fileContainsText(bytes: Buffer, text: string): boolean {
  const script = `
import sys, io, zipfile
data = sys.stdin.buffer.read(); needle = sys.argv[1].encode()
found = needle in data
if not found and data[:2] == b'PK':
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        found = any(needle in z.read(n) for n in z.namelist())
print('yes' if found else 'no')
`;
  return execFileSync('python3', ['-c', script, text], { input: bytes }).toString().trim() === 'yes';
}

export const sha256 = async (b: Buffer) =>
  (await import('node:crypto')).createHash('sha256').update(b).digest('hex');
