'use strict';

/* Glimpse demo page: plain JS, no build step. All text goes through textContent. */
(() => {
  const MAX_CARDS = 200;
  const FINISHED = new Set(['ended', 'failed', 'stopped']);
  const $ = (sel) => document.querySelector(sel);
  const els = {
    drop: $('#drop'), file: $('#file'), store: $('#store'), fps: $('#fps'),
    error: $('#error'), errorTitle: $('#error .error-title'), errorDetail: $('#error .error-detail'),
    stage: $('#stage'), stageTitle: $('#stage-title'), stageMeta: $('#stage-meta'), stop: $('#stop'),
    progress: $('#progress'), photo: $('#photo'), photoImg: $('#photo-img'), boxes: $('#boxes'), busy: $('#busy'),
    cards: $('#cards'), empty: $('#empty'), resultCount: $('#result-count'), clear: $('#clear'),
    persons: $('#person-list'), personCount: $('#person-count'), personsEmpty: $('#persons-empty'), refresh: $('#refresh'),
    health: $('#health'), cardTemplate: $('#card-template'), personTemplate: $('#person-template'),
  };
  const state = { stream: null, streamFaces: 0, ws: null, wsRetry: 0, highlight: null, photoUrl: null, personsTimer: null };

  // ---- helpers -------------------------------------------------------------------------------

  /** One colour per person: the golden angle spreads consecutive person numbers far apart. */
  function colorOf(personId, number) {
    if (!personId) return '#7b8194';
    let n = number;
    if (!n) {
      n = 0x811c9dc5; // FNV-1a of the id when no number is known
      for (const ch of personId) n = Math.imul(n ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    }
    return `hsl(${Math.round((n * 137.508) % 360)} 62% 40%)`;
  }
  const personLabel = (f) => f.personName || (f.personNumber ? `Person #${f.personNumber}` : 'Unknown');
  const matchText = (f) => (f.isNew ? 'First time seen' : f.similarity != null ? `Similarity ${f.similarity}%` : 'No match');
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  function relativeTime(iso) {
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 45) return 'just now';
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return new Date(iso).toLocaleDateString();
  }

  class ApiError extends Error {
    constructor(title, detail, status) {
      super(detail);
      this.title = title;
      this.status = status;
    }
  }

  /** Reads a problem+json body into an error whose message is the server's `detail`. */
  function problemFrom(status, text) {
    try {
      const p = JSON.parse(text);
      if (p && typeof p.detail === 'string') return new ApiError(p.title || 'Request failed', p.detail, status);
    } catch {
      /* not JSON */
    }
    return new ApiError('Request failed', `the server answered ${status}`, status);
  }

  async function api(path, init) {
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError('Network error', 'cannot reach the Glimpse gateway', 0);
    }
    if (!res.ok) throw problemFrom(res.status, await res.text());
    return res;
  }

  function showError(err) {
    els.errorTitle.textContent = `${err.title || 'Error'}:`;
    els.errorDetail.textContent = err.message || String(err);
    els.error.hidden = false;
  }
  const hideError = () => (els.error.hidden = true);

  function setProgress(fraction) {
    els.progress.hidden = false;
    els.progress.classList.toggle('indeterminate', fraction == null);
    els.progress.firstElementChild.style.width = fraction == null ? '' : `${Math.round(fraction * 100)}%`;
  }

  // ---- results -------------------------------------------------------------------------------

  function cropFromImage(img, box) {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 160;
    const pad = Math.max(box.width, box.height) * 0.2;
    const size = Math.max(box.width, box.height) + 2 * pad;
    const sx = box.x + box.width / 2 - size / 2;
    const sy = box.y + box.height / 2 - size / 2;
    canvas.getContext('2d').drawImage(img, sx, sy, size, size, 0, 0, 160, 160);
    return canvas;
  }

  function addCard(face, time, sourceImg) {
    const card = els.cardTemplate.content.firstElementChild.cloneNode(true);
    card.dataset.person = face.personId || '';
    card.style.setProperty('--c', colorOf(face.personId, face.personNumber));
    const img = card.querySelector('img');
    if (face.cropUrl) {
      img.src = face.cropUrl;
      img.alt = `Face of ${personLabel(face)}`;
    } else if (sourceImg) {
      img.replaceWith(cropFromImage(sourceImg, face.box));
    }
    card.querySelector('.badge').textContent = personLabel(face);
    const t = card.querySelector('time');
    t.dateTime = time.toISOString();
    t.textContent = time.toLocaleTimeString();
    const match = card.querySelector('.match');
    match.textContent = matchText(face);
    match.classList.toggle('new', face.isNew);
    card.classList.add('fresh');
    if (state.highlight && state.highlight !== face.personId) card.classList.add('dim');
    card.addEventListener('click', () => toggleHighlight(face.personId));
    els.cards.prepend(card);
    while (els.cards.childElementCount > MAX_CARDS) els.cards.lastElementChild.remove();
    updateResultCount();
  }

  function updateResultCount() {
    const n = els.cards.childElementCount;
    els.empty.hidden = n > 0;
    els.resultCount.textContent = n ? `(${n})` : '';
  }

  function toggleHighlight(personId) {
    state.highlight = state.highlight === personId ? null : personId;
    for (const c of els.cards.children) c.classList.toggle('dim', !!state.highlight && c.dataset.person !== state.highlight);
  }

  // ---- photos --------------------------------------------------------------------------------

  function drawBoxes(faces) {
    els.boxes.replaceChildren();
    const { naturalWidth: w, naturalHeight: h } = els.photoImg;
    if (!w || !h) return;
    for (const f of faces) {
      const box = document.createElement('div');
      box.className = 'box';
      box.style.setProperty('--c', colorOf(f.personId, f.personNumber));
      box.style.left = `${(f.box.x / w) * 100}%`;
      box.style.top = `${(f.box.y / h) * 100}%`;
      box.style.width = `${(f.box.width / w) * 100}%`;
      box.style.height = `${(f.box.height / h) * 100}%`;
      const label = document.createElement('div');
      label.className = 'box-label';
      if ((f.box.y + f.box.height) / h > 0.85) label.classList.add('above');
      label.textContent = personLabel(f);
      const sub = document.createElement('small');
      sub.textContent = matchText(f);
      label.append(sub);
      box.append(label);
      els.boxes.append(box);
    }
  }

  async function recognizePhoto(file) {
    detachStream();
    if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
    state.photoUrl = URL.createObjectURL(file);
    const loaded = new Promise((resolve) => {
      els.photoImg.onload = resolve;
      els.photoImg.onerror = () => {
        els.photo.hidden = true; // not something the browser can show either
        resolve();
      };
    });
    els.photoImg.src = state.photoUrl;
    els.boxes.replaceChildren();
    els.stage.hidden = false;
    els.photo.hidden = false;
    els.progress.hidden = true;
    els.stop.hidden = true;
    els.busy.hidden = false;
    els.stageTitle.textContent = file.name || 'Photo';
    els.stageMeta.textContent = 'Recognizing faces…';
    try {
      const res = await api(`/api/v1/recognize?store=${els.store.checked}`, {
        method: 'POST',
        headers: { 'Content-Type': file.type || 'application/octet-stream' },
        body: file,
      });
      const { faces } = await res.json();
      await loaded;
      drawBoxes(faces);
      const fresh = faces.filter((f) => f.isNew).length;
      els.stageMeta.textContent = faces.length
        ? `${plural(faces.length, 'face')} found${fresh ? `, ${fresh} seen for the first time` : ''}`
        : 'No faces found in this photo';
      const now = new Date();
      [...faces].sort((a, b) => b.box.x - a.box.x).forEach((f) => addCard(f, now, els.photoImg));
      if (els.store.checked) loadPersons();
    } catch (err) {
      els.stageMeta.textContent = 'Recognition failed';
      showError(err);
    } finally {
      els.busy.hidden = true;
    }
  }

  // ---- videos --------------------------------------------------------------------------------

  function uploadVideo(file) {
    detachStream();
    els.stage.hidden = false;
    els.photo.hidden = true;
    els.stop.hidden = true;
    els.stageTitle.textContent = file.name || 'Video';
    els.stageMeta.textContent = 'Uploading… 0%';
    setProgress(0);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/streams/upload?fps=${encodeURIComponent(els.fps.value)}`);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      setProgress(e.loaded / e.total);
      els.stageMeta.textContent = `Uploading… ${Math.round((e.loaded / e.total) * 100)}%`;
    };
    xhr.onload = () => {
      if (xhr.status === 201) return watchStream(JSON.parse(xhr.responseText));
      els.progress.hidden = true;
      els.stageMeta.textContent = 'Upload refused';
      showError(problemFrom(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => {
      els.progress.hidden = true;
      els.stageMeta.textContent = 'Upload failed';
      showError(new ApiError('Upload failed', 'the connection was interrupted', 0));
    };
    xhr.send(file);
  }

  function watchStream(stream) {
    state.stream = stream;
    state.streamFaces = 0;
    els.stop.hidden = false;
    renderStream(stream);
    const ws = socket();
    if (ws.readyState === WebSocket.OPEN) subscribe(stream.id);
  }

  function detachStream() {
    if (state.stream && state.ws?.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify({ type: 'unsubscribe', streamId: state.stream.id }));
    }
    state.stream = null;
  }

  const STATE_TEXT = { starting: 'Starting…', running: 'Analysing', ended: 'Finished', failed: 'Failed', stopped: 'Stopped' };

  function renderStream(s) {
    if (!state.stream || s.id !== state.stream.id) return;
    state.stream = s;
    const parts = [STATE_TEXT[s.state] || s.state, `${plural(s.framesProcessed, 'frame')} analysed`, plural(state.streamFaces, 'face')];
    if (s.error) parts.push(s.error);
    els.stageMeta.textContent = parts.join(' · ');
    const done = FINISHED.has(s.state);
    setProgress(done ? 1 : null);
    els.stop.hidden = done;
    if (done) {
      loadPersons();
      if (s.state === 'failed') showError(new ApiError('Video failed', s.error || 'the video could not be processed', 0));
    }
  }

  function subscribe(streamId) {
    state.ws.send(JSON.stringify({ type: 'subscribe', streamId }));
  }

  function socket() {
    if (state.ws && state.ws.readyState <= WebSocket.OPEN) return state.ws;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    state.ws = ws;
    ws.onopen = () => {
      state.wsRetry = 0;
      if (state.stream) subscribe(state.stream.id);
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      onSocketMessage(msg);
    };
    ws.onclose = () => {
      if (state.ws === ws) state.ws = null;
      if (state.stream && !FINISHED.has(state.stream.state)) {
        setTimeout(socket, Math.min(10_000, 500 * 2 ** state.wsRetry++));
      }
    };
    return ws;
  }

  async function onSocketMessage(msg) {
    const current = state.stream?.id;
    if (msg.type === 'recognition' && msg.streamId === current) {
      const time = new Date(msg.frame.capturedAt);
      for (const f of msg.faces) addCard(f, time);
      state.streamFaces += msg.faces.length;
      renderStream(state.stream);
      schedulePersons();
    } else if (msg.type === 'stream') {
      renderStream(msg.stream);
    } else if (msg.type === 'subscribed' && msg.streamId === current) {
      // a short video may have finished before the subscription: catch up once
      try {
        renderStream(await (await api(`/api/v1/streams/${encodeURIComponent(current)}`)).json());
      } catch {
        /* the status messages will follow */
      }
    } else if (msg.type === 'error') {
      console.warn('WebSocket:', msg.message);
    }
  }

  async function stopStream() {
    if (!state.stream) return;
    try {
      renderStream(await (await api(`/api/v1/streams/${encodeURIComponent(state.stream.id)}`, { method: 'DELETE' })).json());
    } catch (err) {
      showError(err);
    }
  }

  // ---- persons -------------------------------------------------------------------------------

  function schedulePersons() {
    if (state.personsTimer) return;
    state.personsTimer = setTimeout(() => {
      state.personsTimer = null;
      loadPersons();
    }, 2000);
  }

  async function loadPersons() {
    try {
      const { items, total } = await (await api('/api/v1/persons?pageSize=100')).json();
      els.personsEmpty.textContent = 'Nobody yet. Recognize a photo to add people.';
      els.personsEmpty.classList.remove('failed');
      els.personCount.textContent = total ? `(${total})` : '';
      els.personsEmpty.hidden = items.length > 0;
      els.persons.replaceChildren(...items.map(personItem));
    } catch (err) {
      els.personsEmpty.hidden = false;
      els.personsEmpty.classList.add('failed');
      els.personsEmpty.textContent = `Cannot load persons: ${err.message}`;
    }
  }

  function personItem(p) {
    const li = els.personTemplate.content.firstElementChild.cloneNode(true);
    li.style.setProperty('--c', colorOf(p.id, p.number));
    const label = p.name || `Person #${p.number}`;
    const img = li.querySelector('img');
    if (p.coverUrl) {
      img.src = p.coverUrl;
      img.alt = label;
    } else img.remove();
    li.querySelector('.badge').textContent = label;
    li.querySelector('.person-meta').textContent = `${plural(p.faceCount, 'face')} · seen ${relativeTime(p.lastSeenAt)}`;
    li.querySelector('.delete').addEventListener('click', () => deletePerson(p, label));
    return li;
  }

  async function deletePerson(p, label) {
    if (!confirm(`Delete ${label} and all ${plural(p.faceCount, 'stored face')}?`)) return;
    try {
      await api(`/api/v1/persons/${p.id}`, { method: 'DELETE' });
      for (const c of [...els.cards.children]) if (c.dataset.person === p.id) c.remove();
      updateResultCount();
      loadPersons();
    } catch (err) {
      showError(err);
    }
  }

  // ---- health --------------------------------------------------------------------------------

  async function checkHealth() {
    const label = els.health.querySelector('.health-label');
    try {
      const res = await fetch('/healthz', { cache: 'no-store' });
      const { checks } = await res.json();
      const down = Object.entries(checks).filter(([, c]) => !c.ok);
      els.health.classList.toggle('ok', down.length === 0);
      els.health.classList.toggle('bad', down.length > 0);
      label.textContent = down.length ? `Down: ${down.map(([n]) => n).join(', ')}` : 'All services up';
      els.health.title = Object.entries(checks)
        .map(([n, c]) => `${n}: ${c.ok ? 'ok' : 'DOWN'}${c.detail ? ` (${c.detail})` : ''}`)
        .join('\n');
    } catch {
      els.health.classList.remove('ok');
      els.health.classList.add('bad');
      label.textContent = 'Gateway unreachable';
    }
  }

  // ---- wiring --------------------------------------------------------------------------------

  function handleFile(file) {
    if (!file) return;
    hideError();
    const video = file.type.startsWith('video/') || /\.(mp4|m4v|mov|webm|mkv|avi)$/i.test(file.name);
    if (video) uploadVideo(file);
    else recognizePhoto(file);
  }

  els.drop.addEventListener('click', () => els.file.click());
  els.drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      els.file.click();
    }
  });
  els.file.addEventListener('change', () => {
    handleFile(els.file.files[0]);
    els.file.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    els.drop.addEventListener(type, (e) => {
      e.preventDefault();
      els.drop.classList.add('over');
    });
  }
  els.drop.addEventListener('dragleave', () => els.drop.classList.remove('over'));
  els.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    els.drop.classList.remove('over');
    handleFile(e.dataTransfer.files[0]);
  });
  // A file dropped next to the zone must not navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  els.error.querySelector('.error-close').addEventListener('click', hideError);
  els.stop.addEventListener('click', stopStream);
  els.refresh.addEventListener('click', loadPersons);
  els.health.addEventListener('click', checkHealth);
  els.clear.addEventListener('click', () => {
    els.cards.replaceChildren();
    state.highlight = null;
    updateResultCount();
  });

  updateResultCount();
  loadPersons();
  checkHealth();
  setInterval(checkHealth, 15_000);
})();
