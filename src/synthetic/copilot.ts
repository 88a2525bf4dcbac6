import { createHash } from 'node:crypto';
import { ObjectId } from '../core/bson.js';
import type { Doc } from '../core/documents.js';
import { Random, seedFor } from './random.js';

/**
 * Synthetic CoPilot-for-Consensus data with the shapes and sizes of a real deployment
 * (FACTS.md section 2), deterministic from a seed. `flavor` decides the id conventions:
 * Cosmos items carry `id` (equal to `_id`), MongoDB documents only `_id`; user_roles have no
 * application id (Cosmos: a uuid `id`, MongoDB: an ObjectId `_id`).
 */
export type Flavor = 'cosmos' | 'mongodb';

export const COPILOT_COLLECTIONS = ['sources', 'archives', 'messages', 'threads', 'chunks', 'summaries', 'reports'] as const;
export const AUTH_COLLECTIONS = ['user_roles'] as const;
export type SyntheticCollection = (typeof COPILOT_COLLECTIONS)[number] | (typeof AUTH_COLLECTIONS)[number];

/** Counts in one real deployment; `scaledCounts` keeps these proportions. */
export const TYPICAL_COUNTS: Record<SyntheticCollection, number> = {
  sources: 5,
  archives: 395,
  messages: 12_000,
  threads: 25_000,
  chunks: 80_000,
  summaries: 31_000,
  reports: 500,
  user_roles: 6,
};

export function databaseOf(collection: SyntheticCollection): 'copilot' | 'auth' {
  return collection === 'user_roles' ? 'auth' : 'copilot';
}

/** Counts for about `total` documents in the typical proportions (every collection at least 1). */
export function scaledCounts(total: number): Record<SyntheticCollection, number> {
  const sum = Object.values(TYPICAL_COUNTS).reduce((a, b) => a + b, 0);
  const out = {} as Record<SyntheticCollection, number>;
  for (const [k, v] of Object.entries(TYPICAL_COUNTS) as [SyntheticCollection, number][]) out[k] = Math.max(1, Math.round((v * total) / sum));
  return out;
}

const WORDS = (
  'consensus draft working group transport congestion control stream frame packet handshake ' +
  'latency retransmission acknowledgement proposal charter milestone errata review last call ' +
  'implementation interoperability security considerations registry extension negotiation ' +
  'version migration deployment measurement datagram path validation connection identifier ' +
  'the a of to and in is that for on with as this be are we should would could not it'
).split(' ');
const FIRST = ['Alice', 'Bob', 'Carol', 'Dmitri', 'Eun-ji', 'Farah', 'Goran', 'Hiro', 'Ines', 'Jonas', 'Kwame', 'Lena'];
const LAST = ['Nguyen', 'Smith', 'Okafor', 'Müller', 'García', 'Kowalski', 'Tanaka', 'Rossi', 'Haddad', 'Larsen'];
const LISTS = ['ietf-quic', 'ietf-tls', 'ietf-httpbis', 'ietf-mls', 'ietf-ohai', 'ietf-dnsop', 'ietf-tsvwg'];

function hashId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join(':')).digest('hex').slice(0, 16);
}

function text(rng: Random, targetBytes: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < targetBytes) {
    const w = rng.pick(WORDS);
    parts.push(w);
    size += w.length + 1;
  }
  return parts.join(' ');
}

function person(rng: Random) {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  return { name: `${first} ${last}`, email: `${first.toLowerCase().replace(/[^a-z]/g, '')}.${last.toLowerCase().replace(/[^a-z]/g, '')}@example.org` };
}

/** ISO-8601 in both styles the data holds: `...Z` and `+00:00`, second or microsecond precision. */
function date(rng: Random, base = Date.UTC(2024, 0, 1), spanDays = 700): string {
  const ms = base + Math.floor(rng.next() * spanDays * 86_400_000);
  const iso = new Date(ms).toISOString().slice(0, 19);
  const micro = rng.bool() ? `.${String(rng.int(0, 999_999)).padStart(6, '0')}` : '';
  return rng.bool() ? `${iso}${micro}Z` : `${iso}${micro}+00:00`;
}

function uuid(rng: Random): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function withIds(flavor: Flavor, id: string, body: Doc): Doc {
  return flavor === 'cosmos' ? { id, _id: id, ...body } : { _id: id, ...body };
}

type Builder = (i: number, rng: Random, flavor: Flavor, seed: number) => Doc;

const builders: Record<SyntheticCollection, Builder> = {
  sources: (i, rng, flavor) => {
    const name = i < LISTS.length ? LISTS[i]! : `list-${i}`;
    const type = rng.pick(['local', 'http', 'rsync', 'imap'] as const);
    return withIds(flavor, name, {
      name,
      source_type: type,
      url: type === 'imap' ? `imaps://mail.example.org/${name}` : `https://mailarchive.example.org/arch/browse/${name}/`,
      ...(type === 'imap' ? { port: 993, username: `${name}-reader`, password: `synthetic-${rng.hex(8)}` } : {}),
      ...(rng.bool(0.6) ? { schedule: '0 */6 * * *' } : {}),
      enabled: true,
      status: rng.pick(['idle', 'running', 'failed']),
      last_run_at: date(rng),
      last_success_at: date(rng),
      files_processed: rng.int(0, 500),
    });
  },
  archives: (i, rng, flavor, seed) =>
    withIds(flavor, hashId('archives', seed, i), {
      file_hash: createHash('sha256').update(`${seed}:${i}`).digest('hex'),
      file_size_bytes: rng.int(10_000, 50_000_000),
      source: rng.pick(LISTS),
      format: 'mbox',
      status: rng.pick(['processed', 'pending', 'failed']),
      ingestion_date: date(rng),
      created_at: date(rng),
      message_count: rng.int(1, 2000),
    }),
  messages: (i, rng, flavor, seed) => {
    const from = person(rng);
    const body = text(rng, rng.int(1000, 4000));
    return withIds(flavor, hashId('messages', seed, i), {
      message_id: `<${rng.hex(12)}@example.org>`,
      archive_id: hashId('archives', seed, rng.int(0, 394)),
      thread_id: hashId('threads', seed, rng.int(0, 24_999)),
      in_reply_to: rng.bool(0.7) ? `<${rng.hex(12)}@example.org>` : null,
      references: Array.from({ length: rng.int(0, 5) }, () => `<${rng.hex(12)}@example.org>`),
      subject: `Re: ${text(rng, 40)}`,
      from,
      to: Array.from({ length: rng.int(1, 3) }, () => person(rng)),
      cc: Array.from({ length: rng.int(0, 3) }, () => person(rng)),
      date: date(rng),
      body_raw: `> ${text(rng, 200)}\n\n${body}`,
      body_normalized: body,
      headers: { 'X-Mailer': 'synthetic', 'List-Id': `<${rng.pick(LISTS)}.ietf.org>`, 'Content-Type': 'text/plain; charset=utf-8' },
      draft_mentions: Array.from({ length: rng.int(0, 3) }, () => `draft-ietf-${rng.pick(['quic', 'tls', 'httpbis'])}-${rng.pick(WORDS)}-${String(rng.int(0, 20)).padStart(2, '0')}`),
      created_at: date(rng),
    });
  },
  threads: (i, rng, flavor, seed) => {
    const participants = Array.from({ length: rng.int(1, 8) }, () => person(rng).email);
    const consensus = rng.bool(0.3);
    return withIds(flavor, hashId('threads', seed, i), {
      thread_id: hashId('threads', seed, i),
      archive_id: hashId('archives', seed, rng.int(0, 394)),
      subject: text(rng, 50),
      participants,
      message_count: rng.int(1, 120),
      first_message_date: date(rng),
      last_message_date: date(rng),
      has_consensus: consensus,
      consensus_type: consensus ? rng.pick(['rough', 'strong', 'none']) : null,
      summary_id: rng.bool(0.8) ? hashId('summaries', seed, i) : null,
    });
  },
  chunks: (i, rng, flavor, seed) => {
    const body = text(rng, rng.int(2000, 2500));
    const start = rng.int(0, 5000);
    return withIds(flavor, hashId('chunks', seed, i), {
      message_doc_id: hashId('messages', seed, rng.int(0, 11_999)),
      message_id: `<${rng.hex(12)}@example.org>`,
      thread_id: hashId('threads', seed, rng.int(0, 24_999)),
      archive_id: hashId('archives', seed, rng.int(0, 394)),
      chunk_index: rng.int(0, 12),
      text: body,
      token_count: Math.round(body.length / 4),
      start_offset: start,
      end_offset: start + body.length,
      metadata: { sender: person(rng).email, subject: text(rng, 40), date: date(rng), list: rng.pick(LISTS) },
      embedding_generated: rng.bool(0.9),
      created_at: date(rng),
    });
  },
  summaries: (i, rng, flavor, seed) =>
    withIds(flavor, hashId('summaries', seed, i), {
      summary_id: hashId('summaries', seed, i),
      thread_id: hashId('threads', seed, i),
      summary_type: rng.pick(['thread', 'consensus', 'weekly']),
      title: text(rng, 60),
      content_markdown: `# ${text(rng, 40)}\n\n${text(rng, rng.int(1000, 4000))}`,
      citations: Array.from({ length: rng.int(0, 12) }, (_, k) => ({
        chunk_id: hashId('chunks', seed, rng.int(0, 79_999)),
        message_id: `<${rng.hex(12)}@example.org>`,
        quote: text(rng, rng.int(2000, 2500)),
        index: k,
      })),
      metadata: { llm_model: rng.pick(['gpt-4o', 'gpt-4.1-mini', 'llama-3-70b']), tokens_prompt: rng.int(500, 20_000), tokens_completion: rng.int(100, 2_000), generated_at: date(rng) },
      created_at: date(rng),
    }),
  reports: (i, rng, flavor, seed) =>
    withIds(flavor, hashId('reports', seed, i), {
      report_type: rng.pick(['weekly', 'consensus', 'activity']),
      title: text(rng, 50),
      period_start: date(rng),
      period_end: date(rng),
      thread_ids: Array.from({ length: rng.int(1, 10) }, () => hashId('threads', seed, rng.int(0, 24_999))),
      stats: { messages: rng.int(0, 5000), threads: rng.int(0, 500), participants: rng.int(0, 300) },
      content_markdown: text(rng, rng.int(500, 3000)),
      created_at: date(rng),
    }),
  user_roles: (i, rng, flavor) => {
    const p = person(rng);
    const body = {
      user_id: `github:${100_000 + i}`,
      provider: 'github',
      email: p.email,
      name: p.name,
      roles: rng.bool(0.3) ? ['admin', 'reader'] : ['reader'],
      status: rng.pick(['approved', 'pending']),
      requested_at: date(rng),
      updated_at: date(rng),
    };
    return flavor === 'cosmos' ? { id: uuid(rng), ...body } : { _id: ObjectId.createFromHexString(rng.hex(24)), ...body };
  },
};

export interface GenerateOptions {
  seed?: number;
  flavor?: Flavor;
  /** Start at this index (to generate a large collection in slices). */
  offset?: number;
}

/** Yields `count` documents of one collection; the same seed and index always give the same document. */
export function* generateDocuments(collection: SyntheticCollection, count: number, options: GenerateOptions = {}): Generator<Doc> {
  const seed = options.seed ?? 1;
  const flavor = options.flavor ?? 'cosmos';
  const build = builders[collection];
  const start = options.offset ?? 0;
  for (let i = start; i < start + count; i++) yield build(i, new Random(seedFor(collection, seed, i)), flavor, seed);
}
