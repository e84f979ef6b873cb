import { useEffect, useRef, useState } from 'react';

/**
 * A filter box: the text as typed, and the trimmed value it settles on `ms` after typing stops (a list
 * is asked once per pause, not once per key). `onSettle` runs when it settles, e.g. back to page 1.
 */
export function useDebouncedFilter(
  onSettle: () => void,
  ms = 300,
): [text: string, setText: (text: string) => void, value: string] {
  const [text, setText] = useState('');
  const [value, setValue] = useState('');
  // the latest callback, so that a caller's inline arrow does not restart the timer on every render
  const settle = useRef(onSettle);
  useEffect(() => {
    settle.current = onSettle;
  });
  useEffect(() => {
    const id = setTimeout(() => {
      setValue(text.trim());
      settle.current();
    }, ms);
    return () => clearTimeout(id);
  }, [text, ms]);
  return [text, setText, value];
}
