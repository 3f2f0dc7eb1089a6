// Live follow for the audit page: new events arrive over Server-Sent Events and are prepended to the table.
(function () {
  const table = document.getElementById('audit-events');
  const box = document.getElementById('follow');
  if (!table || !box) return;
  let source = null;
  const cell = (text) => { const td = document.createElement('td'); td.textContent = text ?? ''; return td; };
  box.addEventListener('change', () => {
    if (source) { source.close(); source = null; }
    if (!box.checked) return;
    source = new EventSource(table.dataset.stream);
    source.addEventListener('audit', (msg) => {
      const e = JSON.parse(msg.data);
      const row = document.createElement('tr');
      row.className = 'fresh';
      const seq = document.createElement('td');
      const link = document.createElement('a');
      link.href = location.pathname + '/' + e.sequence;
      link.textContent = e.sequence;
      seq.appendChild(link);
      row.append(seq, cell(e.time.replace('T', ' ').slice(0, 19)), cell(e.actorDisplay || e.actorId),
        cell(e.action), cell(e.resourceType ? e.resourceType + ':' + e.resourceId : ''), cell(e.outcome));
      table.tBodies[0].prepend(row);
    });
  });
})();
