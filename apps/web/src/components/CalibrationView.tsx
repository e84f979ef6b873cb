import { useEffect, useState } from 'react';
import { histogramBars, linePath, peakShare, percent, xOf, yOf, type Plot } from '../lib/chart';
import { errorText, jsonInit, request, requestJson } from '../lib/http';
import type { CalibrationReply, ThresholdReply } from '../lib/types';
import { RefreshButton } from './RefreshButton';

type OnError = (title: string, detail: string) => void;

const FAR_CHOICES = [0.001, 0.01, 0.05, 0.1];
const PLOT: Plot = { width: 720, height: 300, pad: 36, x0: 0.2, x1: 1.0 };
const TICKS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/** Distributions, FAR/FRR curves and the current and suggested thresholds, as one SVG. */
function Chart({ c }: { c: CalibrationReply }) {
  const peak = peakShare(c.histogram.genuine, c.histogram.impostor);
  const bars = (counts: number[]) => histogramBars(PLOT, counts, c.histogram.binWidth, peak);
  const marker = (t: number, cls: string, label: string) => (
    <g className={cls}>
      <line x1={xOf(PLOT, t)} x2={xOf(PLOT, t)} y1={yOf(PLOT, 1)} y2={yOf(PLOT, 0)} />
      <text x={xOf(PLOT, t) + 4} y={yOf(PLOT, 1) + 12}>
        {label} {t.toFixed(3)}
      </text>
    </g>
  );
  return (
    <svg
      className="calibration-chart"
      viewBox={`0 0 ${PLOT.width} ${PLOT.height}`}
      role="img"
      aria-label="Genuine and impostor distances, false accept and false reject rates by threshold"
      data-testid="calibration-chart"
    >
      {bars(c.histogram.genuine).map((b, i) => (
        <rect key={`g${i}`} className="bar-genuine" {...b} />
      ))}
      {bars(c.histogram.impostor).map((b, i) => (
        <rect key={`i${i}`} className="bar-impostor" {...b} />
      ))}
      <path
        className="line-far"
        d={linePath(
          PLOT,
          c.curve.map((p) => ({ x: p.threshold, y: p.identFar })),
        )}
      />
      <path
        className="line-frr"
        d={linePath(
          PLOT,
          c.curve.map((p) => ({ x: p.threshold, y: p.frr })),
        )}
      />
      <line className="axis" x1={PLOT.pad} x2={PLOT.width - PLOT.pad} y1={yOf(PLOT, 0)} y2={yOf(PLOT, 0)} />
      {TICKS.map((t) => (
        <text key={t} className="tick" x={xOf(PLOT, t)} y={PLOT.height - 14} textAnchor="middle">
          {t.toFixed(1)}
        </text>
      ))}
      <text className="tick" x={PLOT.width / 2} y={PLOT.height - 2} textAnchor="middle">
        distance (threshold)
      </text>
      {marker(c.currentThreshold, 'mark-current', 'current')}
      {c.suggested ? marker(c.suggested.threshold, 'mark-suggested', 'suggested') : null}
    </svg>
  );
}

/**
 * Threshold calibration from the operator's own data: genuine pairs (faces of one named person) against
 * impostor pairs (differently named persons, "not this person" links). Applying a threshold is an explicit,
 * admin-only action that every matcher keeps across restarts.
 */
export function CalibrationView(props: { active: boolean; onError: OnError; onApplied: (t: number) => void }) {
  const [far, setFar] = useState(0.01);
  const [data, setData] = useState<CalibrationReply | null>(null);
  const [setting, setSetting] = useState<ThresholdReply | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (!props.active) return;
    let alive = true;
    Promise.all([
      requestJson<CalibrationReply>(`/api/v1/calibration?far=${far}`),
      requestJson<ThresholdReply>('/api/v1/settings/threshold'),
    ])
      .then(([c, t]) => {
        if (!alive) return;
        setData(c);
        setSetting(t);
        setError(null);
      })
      .catch((err) => alive && setError(errorText(err).detail));
    return () => {
      alive = false;
    };
  }, [props.active, far, reload]);

  const apply = async (threshold: number | null) => {
    setBusy(true);
    try {
      const t = (await (
        await request('/api/v1/settings/threshold', jsonInit('PUT', { threshold }))
      ).json()) as ThresholdReply;
      setSetting(t);
      props.onApplied(t.threshold);
      setReload((n) => n + 1);
    } catch (err) {
      const { title, detail } = errorText(err);
      props.onError(`Threshold not applied: ${title}`, detail);
    } finally {
      setBusy(false);
    }
  };

  const s = data?.suggested;
  return (
    <section className="panel calibration" aria-labelledby="calibration-title" data-testid="calibration">
      <div className="panel-head">
        <div>
          <h2 id="calibration-title">Threshold calibration</h2>
          <p className="muted small">
            From your own data: faces of one named person (genuine pairs) against faces of differently named persons and
            faces marked “not this person” (impostor pairs).
          </p>
        </div>
        <RefreshButton onRefresh={() => setReload((n) => n + 1)} disabled={busy} />
      </div>
      {error ? <p className="empty-inline failed">Cannot load the calibration: {error}</p> : null}
      {setting ? (
        <p className="small" data-testid="threshold-in-force">
          Threshold in force: <strong>{setting.threshold}</strong> (
          {setting.origin === 'applied' ? 'applied here' : 'from the THRESHOLD setting'})
          {setting.origin === 'applied' ? (
            <button type="button" className="btn btn-ghost btn-small" onClick={() => void apply(null)} disabled={busy}>
              Back to the THRESHOLD setting
            </button>
          ) : null}
        </p>
      ) : null}
      <label className="small">
        Wanted false accept rate against the whole gallery{' '}
        <select value={far} onChange={(e) => setFar(Number(e.target.value))} data-testid="far-select">
          {FAR_CHOICES.map((f) => (
            <option key={f} value={f}>
              {percent(f)}
            </option>
          ))}
        </select>
      </label>
      {data && !data.sufficient ? (
        <p className="empty-inline" data-testid="calibration-insufficient">
          {data.reason}. Name persons (with two or more faces each) on the Persons page, or mark faces as “not this
          person”, then come back.
        </p>
      ) : null}
      {data?.sufficient ? (
        <>
          <p className="small">
            {data.namedPersons} named persons: {data.genuinePairs} genuine and {data.impostorPairs} impostor pairs (
            {data.cannotLinkPairs} from “not this person”). With {data.galleryPersons} persons, a {percent(data.far)}{' '}
            false accept rate needs {percent(data.pairFar)} per comparison.
          </p>
          <Chart c={data} />
          <p className="legend small">
            <span className="key key-genuine" /> genuine distances <span className="key key-impostor" /> impostor
            distances <span className="key key-far" /> false accept rate (gallery) <span className="key key-frr" />{' '}
            false reject rate
          </p>
          {s ? (
            <div className="suggestion" data-testid="calibration-suggestion">
              <p>
                Suggested threshold <strong>{s.threshold.toFixed(3)}</strong>: false accepts {percent(s.identFar)} of
                the gallery, false rejects {percent(s.frr)} of genuine pairs.
                {data.current
                  ? ` Now (${data.currentThreshold}): ${percent(data.current.identFar)} and ${percent(data.current.frr)}.`
                  : ''}
              </p>
              {data.limitedByData ? (
                <p className="muted small">
                  Too few impostor pairs to measure so small a rate: no impostor pair was closer than this, so it is an
                  upper bound. Name more persons for a firmer figure.
                </p>
              ) : null}
              <button
                type="button"
                className="btn"
                data-testid="apply-threshold"
                disabled={busy}
                onClick={() => void apply(s.threshold)}
              >
                Apply {s.threshold.toFixed(3)}
              </button>
              <span className="muted small">
                {' '}
                Needs an admin key; every matcher uses it at once and keeps it across restarts.
              </span>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
