// Offsets in a text as 1-based line and column, the way editors, SARIF and error messages count.

export interface TextPosition {
  line: number;
  column: number;
}

/** The offset where each line starts (the first is 0). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The line and column of `offset`, given the text's `lineStarts` (binary search). */
export function positionAt(starts: readonly number[], offset: number): TextPosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** A position finder for one text that counts its lines on first use only. */
export function positionLocator(text: string): (offset: number) => TextPosition {
  let starts: number[] | undefined;
  return (offset) => positionAt((starts ??= lineStarts(text)), offset);
}
