import {
  type CST,
  type Document,
  isAlias,
  isCollection,
  isNode,
  isScalar,
  LineCounter,
  type Node,
  Parser,
  parseDocument,
  visit,
} from 'yaml';
import { excerpt, InputError, type InputProblem, readInputFile } from '../../engines/shared/errors.js';

/**
 * Reading a YAML (or JSON, which is YAML) input file keeping source positions. A file written by
 * hand, or by someone else, is checked for every way YAML can hide a mistake or an attack before
 * any of it becomes data: each problem is bad input (exit 2), located by line and column.
 */

export interface ParsedSource {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly data: unknown;
}

/** Deeper than any scenario, profile or result needs, and far from where a recursive parse runs out of stack. */
export const MAX_NESTING = 64;

/** Alias expansions a document may make: enough to share blocks, far too few for an alias bomb. */
export const MAX_ALIAS_EXPANSIONS = 100;

/** Tags that only restate what plain YAML means: a string, number, boolean, null, map or list. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

const NEAR_HINT = 'check indentation and quoting near this position';

/** Reads and parses one input file; anything but plain, finite YAML is an InputError. */
export async function parseSourceFile(
  file: string,
  what = 'file',
  missingHint = 'check the path; `virtbench list scenarios` shows the bundled ones',
  mostBytes?: number,
): Promise<ParsedSource> {
  return parseSource(file, await readInputFile(file, what, missingHint, mostBytes));
}

export function parseSource(file: string, text: string): ParsedSource {
  checkNesting(file, text);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const at = (offset: number | undefined): InputProblem['location'] => {
    if (offset === undefined) return { file };
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  const problems: InputProblem[] = [...doc.errors, ...doc.warnings].map((error) => ({
    location: at(error.pos[0]),
    path: '',
    message: `YAML syntax error: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    expected: 'valid YAML',
    hint: error.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : NEAR_HINT,
  }));
  if (problems.length === 0) problems.push(...plainYamlProblems(doc, at));
  if (problems.length > 0) throw new InputError(problems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (error) {
    // The only failure left once every alias resolves is too many expansions: an alias bomb.
    let first: Node | undefined;
    visit(doc, {
      Alias(_key, node) {
        first = node;
        return visit.BREAK;
      },
    });
    throw new InputError(
      {
        location: at(first?.range?.[0]),
        path: '',
        message: `aliases expand to too much data (more than ${MAX_ALIAS_EXPANSIONS} expansions)`,
        expected: `at most ${MAX_ALIAS_EXPANSIONS} alias expansions`,
        hint: 'write the values out, or share fewer blocks through aliases',
      },
      { cause: error },
    );
  }
  return { file, doc, lines, data };
}

/**
 * Nesting deeper than MAX_NESTING, found on the parser's concrete syntax tree, which is built
 * without recursion: building the document from it recurses, and would run out of stack first.
 */
function checkNesting(file: string, text: string): void {
  const lines = new LineCounter();
  const pending: { token: CST.Token | undefined; depth: number }[] = [];
  for (const token of new Parser(lines.addNewLine).parse(text)) pending.push({ token, depth: 0 });
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      pending.push({ token: token.value, depth });
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth >= MAX_NESTING) {
      const { line, col } = lines.linePos(token.offset);
      throw new InputError({
        location: { file, line, column: col },
        path: '',
        message: `too deeply nested: more than ${MAX_NESTING} levels of maps and lists`,
        expected: `at most ${MAX_NESTING} levels`,
        hint: 'look for runaway brackets or indentation here',
      });
    }
    for (const item of token.items) {
      if ('key' in item) pending.push({ token: item.key ?? undefined, depth: depth + 1 });
      pending.push({ token: item.value, depth: depth + 1 });
    }
  }
}

/**
 * What YAML allows and an input file must not use: tags beyond plain types (`!!binary` makes a
 * Buffer, `!!set` a Set), keys that are maps or lists, merge keys, and aliases to no anchor.
 */
function plainYamlProblems(doc: Document, at: (offset: number | undefined) => InputProblem['location']) {
  const problems: InputProblem[] = [];
  const anchors = new Set<string>();
  const add = (node: Node | undefined, message: string, expected: string, hint: string) =>
    problems.push({ location: at(node?.range?.[0]), path: '', message, expected, hint });
  visit(doc, {
    Node(_key, node) {
      if (node.anchor) anchors.add(node.anchor);
      if (isAlias(node)) {
        if (!anchors.has(node.source))
          add(
            node,
            `alias *${excerpt(node.source)} names no anchor before it`,
            'an alias after its anchor (&name)',
            'define the anchor first, or write the value out',
          );
        return;
      }
      if (node.tag && !PLAIN_TAGS.has(node.tag)) {
        add(
          node,
          `tag ${node.tag.replace('tag:yaml.org,2002:', '!!')} is not supported`,
          'plain strings, numbers, booleans, maps and lists',
          'remove the tag',
        );
        return visit.SKIP;
      }
    },
    Pair(_key, pair) {
      const key = pair.key;
      if (isCollection(key) || isAlias(key)) {
        add(isNode(key) ? key : undefined, 'a key must be a plain name', 'a string key', 'write the key as a name');
        return visit.SKIP;
      }
      if (isScalar(key) && key.value === '<<' && !key.type?.includes('QUOTE')) {
        add(
          key,
          'merge keys (<<) are not supported',
          'the keys written out',
          'write the keys out; options every engine shares belong in defaults:',
        );
      }
    },
  });
  return problems;
}
