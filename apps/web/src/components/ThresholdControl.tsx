import { useId } from 'react';
import { MAX_THRESHOLD, MIN_THRESHOLD } from '../lib/camera';

/** Match threshold: the largest encoding distance that still counts as the same person. */
export function ThresholdControl({ value, onChange }: { value: number; onChange: (v: number) => void }) {
  const id = useId();
  return (
    <div className="threshold">
      <label htmlFor={id}>
        Match threshold <output htmlFor={id}>{value.toFixed(2)}</output>
      </label>
      <input
        id={id}
        type="range"
        data-testid="threshold"
        min={MIN_THRESHOLD}
        max={MAX_THRESHOLD}
        step={0.01}
        value={value}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
        aria-describedby={`${id}-hint`}
      />
      <span id={`${id}-hint`} className="threshold-hint">
        <span>stricter</span>
        <span>looser</span>
      </span>
    </div>
  );
}
