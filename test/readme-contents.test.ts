import { describe, expect, it } from 'vitest';
import { README } from './helpers/readme.ts';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replaceAll(' ', '-');
}

function headings(text: string): string[] {
  const found: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    else if (!inFence && /^#{2,3} /.test(line)) found.push(line.replace(/^#+ /, ''));
  }
  return found;
}

describe("the README's contents list", () => {
  const start = README.indexOf('**Contents.**');
  const contents = README.slice(start, README.indexOf('\n## ', start));
  const links = [...contents.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]!);

  it('links every section and subsection', () => {
    expect(start).toBeGreaterThan(0);
    expect(
      headings(README)
        .map(anchorOf)
        .filter((anchor) => !links.includes(anchor)),
    ).toEqual([]);
  });

  it('links only headings that exist', () => {
    const anchors = new Set(headings(README).map(anchorOf));
    expect(links.filter((link) => !anchors.has(link))).toEqual([]);
  });
});
