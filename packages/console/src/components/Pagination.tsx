import { useState } from "react";

/** Keyset pages: the tokens of the pages seen so far, so "Previous" goes back without offsets. */
export function usePageTokens() {
  const [stack, setStack] = useState<string[]>([""]);
  const token = stack[stack.length - 1] ?? "";
  return {
    token,
    page: stack.length,
    next: (nextToken: string) => setStack((s) => [...s, nextToken]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([""]),
  };
}

export function Pagination({
  page,
  nextToken,
  onNext,
  onPrevious,
}: {
  page: number;
  nextToken: string | undefined;
  onNext: (token: string) => void;
  onPrevious: () => void;
}) {
  if (page === 1 && !nextToken) return null;
  return (
    <nav className="pagination" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={page === 1}>
        Previous page
      </button>
      <span aria-live="polite">Page {page}</span>
      <button type="button" onClick={() => nextToken && onNext(nextToken)} disabled={!nextToken}>
        Next page
      </button>
    </nav>
  );
}
