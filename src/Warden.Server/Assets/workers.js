// Live workers table: the server sends the whole list over Server-Sent Events whenever a worker's state, sessions or
// connection change (and every few seconds for heartbeats and load); the table body is redrawn from it.
(function () {
  const table = document.getElementById('workers');
  const box = document.getElementById('workers-live');
  if (!table || !box) return;
  let source = null;
  const cell = (text) => { const td = document.createElement('td'); td.textContent = text ?? ''; return td; };
  const labels = (l) => { const keys = Object.keys(l || {}); return keys.length ? keys.map(k => k + '=' + l[k]).join(', ') : '—'; };
  const render = (workers) => {
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const w of workers) {
      const row = document.createElement('tr');
      const name = cell(w.name);
      const id = document.createElement('td');
      const code = document.createElement('code');
      code.textContent = w.id;
      id.appendChild(code);
      const state = document.createElement('td');
      const pill = document.createElement('span');
      pill.className = 'pill ' + w.state;
      pill.title = w.stateReason || '';
      pill.textContent = w.state;
      state.appendChild(pill);
      row.append(name, id, cell(w.pool), state, cell(w.running + '/' + w.capacity), cell(Number(w.load).toFixed(2)),
        cell(labels(w.labels)), cell(w.sandboxed ? 'yes' : 'NO'), cell(w.lastHeartbeatAt ? w.lastHeartbeatAt.replace('T', ' ').slice(0, 19) : '—'));
      body.appendChild(row);
    }
    const empty = document.getElementById('workers-empty');
    if (empty) empty.hidden = workers.length > 0;
  };
  const follow = () => {
    if (source) { source.close(); source = null; }
    if (!box.checked) return;
    source = new EventSource(table.dataset.stream);
    source.addEventListener('workers', (msg) => render(JSON.parse(msg.data)));
  };
  box.addEventListener('change', follow);
  follow();
})();
