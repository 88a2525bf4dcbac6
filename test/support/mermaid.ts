/**
 * A strict reader of the Mermaid `xychart-beta` blocks the run report writes: what must hold
 * for GitHub to draw them (a title, an x-axis of categories, a y-axis range, and line/bar
 * series with one number per category). Returns the problems found, none when well formed.
 */
export interface MermaidBlock {
  text: string;
  categories: number;
  series: number;
}

export function mermaidBlocks(markdown: string): MermaidBlock[] {
  const blocks: MermaidBlock[] = [];
  const re = /```mermaid\n([\s\S]*?)\n```/g;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push({ text: m[1]!, categories: 0, series: 0 });
  return blocks;
}

export function mermaidProblems(block: MermaidBlock): string[] {
  const problems: string[] = [];
  const lines = block.text.split('\n');
  if (lines[0] !== 'xychart-beta') problems.push(`first line is "${lines[0]}", not xychart-beta`);
  let categories = -1;
  for (const line of lines.slice(1)) {
    const l = line.trim();
    if (/^title "[^"]*"$/.test(l)) continue;
    const x = /^x-axis "[^"]*" \[(.*)\]$/.exec(l);
    if (x) {
      categories = x[1]!.trim() === '' ? 0 : x[1]!.split(',').filter((c) => /^\s*"[^"]*"\s*$/.test(c)).length;
      if (categories !== (x[1]!.trim() === '' ? 0 : x[1]!.split(',').length)) problems.push(`x-axis categories not all quoted: ${l}`);
      continue;
    }
    if (/^y-axis "[^"]*" -?\d+(\.\d+)? --> -?\d+(\.\d+)?$/.test(l)) continue;
    const s = /^(line|bar) \[(.*)\]$/.exec(l);
    if (s) {
      const values = s[2]!.split(',').map((v) => v.trim());
      if (values.some((v) => !/^-?\d+(\.\d+)?$/.test(v))) problems.push(`a ${s[1]} value is not a number: ${l}`);
      if (values.length !== categories) problems.push(`${s[1]} has ${values.length} values for ${categories} categories`);
      block.series++;
      continue;
    }
    problems.push(`unexpected line: ${l}`);
  }
  if (categories < 1) problems.push('no x-axis categories');
  if (block.series === 0) problems.push('no line or bar series');
  block.categories = categories;
  return problems;
}
