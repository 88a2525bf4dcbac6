import { describeFilters, type CollectionFilter } from '../../core/filter.js';

/**
 * A Cosmos DB filter (docs/filters.md): a WHERE clause (`c.archive_id = 'a1'`, with or without
 * `WHERE`, on the alias `c`) or a whole query that selects whole documents
 * (`SELECT * FROM c WHERE ...`, any alias). An export must read documents as they are stored, so
 * projections, `VALUE`, `TOP`, `DISTINCT`, aggregates, `JOIN`, `ORDER BY`, `GROUP BY` and
 * `OFFSET ... LIMIT` are refused: the reader adds its own `SELECT`, and reads every feed range.
 */
export interface CosmosCondition {
  alias: string;
  /** The condition; undefined for `SELECT * FROM c` (every document). */
  where?: string;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const FROM = new RegExp(`^(${IDENT})(?:\\s+(?:AS\\s+)?(?!WHERE\\b)(${IDENT}))?\\s*(?:\\bWHERE\\b([\\s\\S]*))?$`, 'i');
const CLAUSES = /(?<![.\w])(ORDER\s+BY|GROUP\s+BY|OFFSET|LIMIT|JOIN)(?!\w)/i;

/** The text with the contents of its string literals and comments blanked, so keywords are found only in the query itself. */
function masked(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      out += ch;
      for (i++; i < text.length && text[i] !== ch; i++) {
        if (text[i] === '\\') {
          out += ' ';
          i++;
        }
        out += ' ';
      }
      if (i < text.length) out += ch;
      continue;
    }
    if (ch === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
      if (i < text.length) out += '\n';
      continue;
    }
    out += ch;
  }
  return out;
}

/** The condition of one filter, or why it cannot be taken. */
export function parseCosmosFilter(text: string): CosmosCondition | string {
  const query = text.trim().replace(/;\s*$/, '');
  const m = masked(query);
  if (m.trim() === '') return 'the filter is empty';
  let alias = 'c';
  let start = 0;
  const select = /^SELECT\b/i.exec(m);
  if (select) {
    const from = /\bFROM\b/i.exec(m);
    if (!from) return 'a query must be SELECT * FROM c WHERE ...';
    const projection = m.slice(select[0].length, from.index).trim();
    if (projection !== '*') {
      return `the query selects ${JSON.stringify(query.slice(select[0].length, from.index).trim())}: a filter must select whole documents (SELECT * FROM c WHERE ...), or be a WHERE clause alone; projections, VALUE, TOP, DISTINCT and aggregates are not taken`;
    }
    const rest = m.slice(from.index + from[0].length).trim();
    const parts = FROM.exec(rest);
    if (!parts) return 'after FROM a filter takes one container alias and a WHERE clause (SELECT * FROM c WHERE ...); JOIN and subqueries in FROM are not taken';
    alias = parts[2] ?? parts[1]!;
    if (parts[3] === undefined) return { alias };
    start = query.length - parts[3].length;
  } else {
    const where = /^WHERE\b/i.exec(m);
    if (where) start = where[0].length;
  }
  const condition = query.slice(start).trim();
  const mc = masked(condition);
  if (mc.trim() === '') return 'the WHERE clause is empty';
  const clause = CLAUSES.exec(mc);
  if (clause) return `the filter has ${clause[1]!.toUpperCase().replace(/\s+/, ' ')}: a filter is a condition on whole documents (SELECT * FROM c WHERE ...); the export reads every document that matches, in no order`;
  return { alias, where: condition };
}

/** Why a collection's filters cannot be taken (the message names the collection and where each came from), or their condition. */
export function cosmosCondition(name: string, filters: readonly CollectionFilter[]): CosmosCondition | string {
  const conditions: CosmosCondition[] = [];
  for (const f of filters) {
    const c = parseCosmosFilter(f.query);
    if (typeof c === 'string') return `The filter of ${name} (from ${f.from}) is not a Cosmos DB filter docferry can use: ${c}.`;
    conditions.push(c);
  }
  const aliases = [...new Set(conditions.map((c) => c.alias))];
  if (aliases.length > 1) return `The filters of ${name} use different aliases (${aliases.join(', ')}): ${describeFilters(filters)}. Write them on the same alias (c).`;
  const wheres = conditions.flatMap((c) => (c.where === undefined ? [] : [c.where]));
  // Each condition on lines of its own, so that a trailing `--` comment cannot swallow the parenthesis.
  return { alias: aliases[0] ?? 'c', ...(wheres.length > 0 ? { where: wheres.length === 1 ? wheres[0]! : wheres.map((w) => `(\n${w}\n)`).join(' AND ') } : {}) };
}

/** `SELECT <select> FROM <alias> [WHERE ...]`, for reading, counting or sampling a filtered container. */
export function cosmosQueryText(select: string, condition: CosmosCondition | undefined): string {
  const alias = condition?.alias ?? 'c';
  return condition?.where === undefined ? `SELECT ${select} FROM ${alias}` : `SELECT ${select} FROM ${alias} WHERE (\n${condition.where}\n)`;
}
