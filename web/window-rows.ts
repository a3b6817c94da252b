/**
 * Draws only the rows of a long list that are on screen (plus a margin), with spacers for the
 * rest: the page stays as quick with 10,000 prompts as with 10. Every row has the same height.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export const ROW_HEIGHT = 46;
const MARGIN = 15;

export function useWindowRows(count: number) {
  const body = useRef<HTMLTableSectionElement>(null);
  const [range, setRange] = useState({ first: 0, last: 60 });
  useEffect(() => {
    let frame = 0;
    const measure = () => {
      frame = 0;
      const top = body.current ? body.current.getBoundingClientRect().top : 0;
      const first = Math.max(0, Math.floor(-top / ROW_HEIGHT) - MARGIN);
      const last = Math.min(count, first + Math.ceil(innerHeight / ROW_HEIGHT) + 2 * MARGIN);
      setRange((r) => (r.first === first && r.last === last ? r : { first, last }));
    };
    const schedule = () => (frame ||= requestAnimationFrame(measure));
    measure();
    addEventListener("scroll", schedule, { passive: true });
    addEventListener("resize", schedule);
    return () => {
      cancelAnimationFrame(frame);
      removeEventListener("scroll", schedule);
      removeEventListener("resize", schedule);
    };
  }, [count]);
  const first = Math.min(range.first, count);
  const last = Math.min(range.last, count);
  return { body, first, last, above: first * ROW_HEIGHT, below: (count - last) * ROW_HEIGHT };
}
