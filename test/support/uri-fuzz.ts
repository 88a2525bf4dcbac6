/**
 * Malformed MongoDB URIs whose passwords hold `@ : / ? # %` and percent-encodings, and a check
 * that no text holds such a password, its decoded form or any long piece of either.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A small deterministic generator, so a failing case can be run again. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SPECIALS = ['@', ':', '/', '?', '#', '%', '%40', '%2F', '%3a', '%3F', '%23', '%25', '%zz', '@@', '//', ':@', '!', '$', '&', '=', ',', ';', '+', '[', ']'];
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

export interface FuzzUri {
  uri: string;
  /** The generated password: no piece of it may show. */
  password: string;
  /** What is masked: the userinfo after its first `:` (for `b:o:b:<password>`, more than the password). */
  secret: string;
}

/**
 * Passwords are random runs of 7 letters or digits between special pieces, so any piece of 6
 * characters that shows up in an output came from the password and from nowhere else.
 */
export function fuzzPasswords(count: number, seed = 14): string[] {
  const next = generator(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const run = () => Array.from({ length: 7 }, () => pick([...ALNUM])).join('');
  return Array.from({ length: count }, (_, i) => {
    const parts = [run()];
    for (let k = 0; k < 2 + (i % 3); k++) parts.push(pick(SPECIALS), run());
    return parts.join('');
  });
}

/** The shapes a URI can go wrong in; `HOST` points at a closed port, so nothing is ever reached. */
export function fuzzUris(passwords: string[], host = '127.0.0.1:1'): FuzzUri[] {
  const shapes: ((p: string) => string | [uri: string, secret: string])[] = [
    (p) => `mongodb://bob:${p}@${host}/?serverSelectionTimeoutMS=200`,
    (p) => `mongodb+srv://bob:${p}@cluster0.invalid/`,
    (p) => `mongodb://bob:${p}@${host},/`,
    (p) => `mongodb:/bob:${p}@${host}/`,
    (p) => [`mongodb://b:o:b:${p}@${host}/`, `o:b:${p}`],
    (p) => `https://bob:${p}@${host}/`,
    (p) => `mongodb://bob:${p}@[::1/`,
    (p) => `mongodb://bob:${p}@${host}/db?authSource=admin&serverSelectionTimeoutMS=200#frag`,
    (p) => `mongodb://bob:${encodeURIComponent(p)}@${host}/?serverSelectionTimeoutMS=200`,
    (p) => `mongodb://bob:${p}@`,
  ];
  return passwords.map((password, i) => {
    const made = shapes[i % shapes.length]!(password);
    return typeof made === 'string' ? { uri: made, password, secret: password } : { uri: made[0], password, secret: made[1] };
  });
}

/** Every text a password must not appear in, with where it came from. */
export async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) if (e.isFile()) out.push({ path: join(e.parentPath, e.name), text: await readFile(join(e.parentPath, e.name), 'utf8') });
  return out;
}

/** The password, its decoded forms, and every 6-character piece of them: none may appear in `text`. */
export function leakedPieces(password: string, text: string, pieceLength = 6): string[] {
  const forms = new Set([password, encodeURIComponent(password)]);
  try {
    forms.add(decodeURIComponent(password));
  } catch {
    // not decodable: the driver refuses it, and only the form as given exists
  }
  const leaks = new Set<string>();
  for (const form of forms) {
    for (let i = 0; i + pieceLength <= form.length; i++) {
      const piece = form.slice(i, i + pieceLength);
      // A piece of punctuation alone ("%40%40") says nothing; the random letters do.
      if ((piece.match(/[A-Za-z0-9]/g) ?? []).length >= 3 && text.includes(piece)) leaks.add(piece);
    }
  }
  return [...leaks];
}
